"""course.codegen: prompts from source, where a completion stops, whether it parses."""

from __future__ import annotations

import pytest

from course.codegen import cut_completion, function_parses, function_prompts, indentation

SOURCE = '''import os


def first(a, b):
    """Return a."""
    return a


class Box:
    def get(self):
        """The value."""
        if self.value:
            return self.value

        return None

    def put(self, value):
        self.value = value


print(first(1, 2))
'''


def test_the_body_stops_at_the_first_line_back_at_the_def_indentation():
    generated = "        x = 1\n\n        return x\n    def next(self):\n"
    assert cut_completion(generated, indent=4) == "        x = 1\n\n        return x\n"


def test_a_line_deeper_than_the_def_does_not_stop_the_body():
    assert cut_completion("      y = 2\n  z", indent=4) == "      y = 2\n"


def test_blank_and_space_only_lines_never_stop_the_body():
    assert cut_completion("    a\n\n   \n    b\nc", indent=0) == "    a\n\n   \n    b\n"


def test_no_stop_line_means_unfinished():
    assert cut_completion("    return (1,\n    2", indent=0) is None


def test_an_immediate_stop_gives_an_empty_body_that_is_invalid():
    body = cut_completion("def g():", indent=0)
    assert body == ""
    assert not function_parses("def f():\n", body)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="indent"):
        cut_completion("x", indent=-1)
    with pytest.raises(TypeError, match="str"):
        cut_completion(None, indent=0)
    with pytest.raises(ValueError, match="prompt_length"):
        function_prompts(SOURCE, prompt_length=0)


def test_parsing_checks_the_whole_function_dedented():
    header = '    def get(self):\n        """The value."""\n'
    assert function_parses(header, "        return self.value\n")
    assert not function_parses(header, "        return self.value)\n")
    assert not function_parses(header, None)


def test_prompts_end_where_the_body_begins_and_have_one_length():
    prompts = function_prompts(SOURCE, prompt_length=48)
    assert [p.name for p in prompts] == ["first", "get", "put"]
    for prompt in prompts:
        assert len(prompt.prompt) == 48
        assert (prompt.prompt + prompt.reference) in SOURCE
        assert prompt.prompt.endswith(prompt.header)
    get = prompts[1]
    assert get.indent == 4
    assert get.header == '    def get(self):\n        """The value."""\n'
    assert get.reference.startswith("        if self.value:") and "return None" in get.reference
    assert prompts[2].header == "    def put(self, value):\n"  # no docstring: the def line alone


def test_headers_longer_than_allowed_or_too_early_are_left_out():
    assert [p.name for p in function_prompts(SOURCE, 48, max_header_chars=30)] == ["put"]
    assert function_prompts(SOURCE, prompt_length=10_000) == []


def test_indentation_counts_spaces():
    assert indentation("  x") == 2 and indentation("x") == 0
