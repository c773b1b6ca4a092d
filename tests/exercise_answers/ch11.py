"""Plausible wrong answers to chapter 11's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "11.1": [
        # one moment forgotten: weights, gradients and Adam's first moment only
        "return parameters * 3 * bytes_per_number / 1e9",
        # the weights alone, as at inference time
        "return parameters * bytes_per_number / 1e9",
        # four numbers per weight, but always four bytes each, whatever bytes_per_number says
        "return parameters * 4 * 4 / 1e9",
        # gibibytes instead of gigabytes
        "return parameters * 4 * bytes_per_number / 2**30",
    ],
    "11.2": [
        # the plain average: right for equal shards only
        """return [sum(gradients[i] for gradients in shard_gradients) / len(shard_gradients)
        for i in range(len(shard_gradients[0]))]""",
        # the sum over shards, not divided at all
        """return [sum(gradients[i] for gradients in shard_gradients)
        for i in range(len(shard_gradients[0]))]""",
        # weighted by the sizes but divided by the number of shards instead of the examples
        """return [sum(gradients[i] * size for gradients, size in zip(shard_gradients, shard_sizes))
        / len(shard_sizes) for i in range(len(shard_gradients[0]))]""",
        # only the first shard's gradients
        "return list(shard_gradients[0])",
    ],
    "11.3": [
        # each worker told only its own address: no cluster to join
        """return {"cluster": {"worker": [hosts[index]]},
        "task": {"type": "worker", "index": 0}}""",
        # every worker thinks it is worker 0
        """return {"cluster": {"worker": list(hosts)}, "task": {"type": "worker", "index": 0}}""",
        # the cluster in another order on each worker
        """return {"cluster": {"worker": hosts[index:] + hosts[:index]},
        "task": {"type": "worker", "index": index}}""",
        # the task's type as "chief" for the first worker
        """return {"cluster": {"worker": list(hosts)},
        "task": {"type": "chief" if index == 0 else "worker", "index": index}}""",
    ],
}
