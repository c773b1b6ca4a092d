"""The kit's facts are written once: versions, repository address, Colab install cell."""

from __future__ import annotations

import re

import pytest

from course import project


def test_every_dependency_has_a_lower_and_an_upper_bound():
    for name, spec in project.dependencies():
        assert ">=" in spec and "<" in spec.replace("<=", ""), f"{name} needs both bounds: {spec!r}"


def test_requirements_txt_installs_the_package_and_repeats_no_version():
    lines = [
        line.strip()
        for line in (project.ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["-e .[dev]"]


def test_colab_constraints_lie_inside_the_supported_ranges():
    ranges = dict(project.dependencies())
    pins = re.findall(
        r"^([A-Za-z0-9_.\-]+)==(\S+)", (project.ROOT / "constraints/colab.txt").read_text(), re.M
    )
    assert pins, "constraints/colab.txt pins nothing"
    for name, version in pins:
        if name in ranges:
            assert project.version_in_range(version, ranges[name]), (name, version, ranges[name])


def test_colab_cell_never_installs_what_colab_provides():
    cell = project.colab_install_cell()
    for name in project.colab_provided():
        assert f'"{name}>' not in cell and f'"{name}=' not in cell, name
    assert project.repository_url() in cell
    assert '"--no-deps"' in cell


def test_colab_cell_installs_every_dependency_colab_lacks():
    cell = project.colab_install_cell()
    provided = set(project.colab_provided())
    for name, spec in project.dependencies():
        if name not in provided:
            assert f'"{name}{spec}"' in cell


def test_colab_cell_is_valid_python_that_does_nothing_outside_colab():
    namespace: dict = {}
    exec(compile(project.colab_install_cell(), "<colab cell>", "exec"), namespace)
    assert namespace["KIT"] == project.COLAB_CHECKOUT


def test_version_ranges():
    assert project.version_in_range("2.21.0", ">=2.20,<2.22")
    assert not project.version_in_range("2.22.0", ">=2.20,<2.22")


@pytest.mark.parametrize("url", [project.repository_url()])
def test_repository_address_is_a_github_repository(url):
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url)


def test_readme_lists_every_chapter_with_its_colab_badge():
    readme = (project.ROOT / "README.md").read_text()
    for path in project.chapter_notebooks():
        assert f"(notebooks/{path.name})" in readme, f"README does not link {path.name}"
        assert project.colab_url(path.name) in readme, f"README has no Colab badge for {path.name}"
