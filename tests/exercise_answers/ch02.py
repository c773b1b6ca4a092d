"""Plausible wrong answers to chapter 02's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "02.1": [
        # the arithmetic mean of 1/p instead of the geometric one
        "return float(np.mean(1 / np.asarray(probabilities, dtype=np.float64)))",
        # the mean log-probability without its minus sign: 1 / perplexity
        "return math.exp(np.mean(np.log(np.asarray(probabilities, dtype=np.float64))))",
        # the sum instead of the mean: the perplexity of the whole text, not per token
        "return math.exp(-np.sum(np.log(np.asarray(probabilities, dtype=np.float64))))",
    ],
    "02.2": [
        # k added once to the row total instead of once per column
        "return float((counts[a, b] + k) / (counts[a].sum() + k))",
        # the column total instead of the row total
        "return float((counts[a, b] + k) / (counts[:, b].sum() + k * counts.shape[1]))",
        # pseudo-counts forgotten in the numerator
        "return float(counts[a, b] / (counts[a].sum() + k * counts.shape[1]))",
    ],
    "02.3": [
        # the k with the highest loss
        """losses = []
for k in grid:
    probabilities = (counts + k) / (counts.sum(axis=1, keepdims=True) + k * counts.shape[1])
    losses.append(-np.log(probabilities[ids[:-1], ids[1:]]).mean())
return grid[int(np.argmax(losses))]""",
        # rows not renormalised: k added to the counts but not k V to the totals
        """losses = []
for k in grid:
    probabilities = (counts + k) / (counts.sum(axis=1, keepdims=True) + k)
    losses.append(-np.log(probabilities[ids[:-1], ids[1:]]).mean())
return grid[int(np.argmin(losses))]""",
        # the pairs read backwards: P(previous | next)
        """losses = []
for k in grid:
    probabilities = (counts + k) / (counts.sum(axis=1, keepdims=True) + k * counts.shape[1])
    losses.append(-np.log(probabilities[ids[1:], ids[:-1]]).mean())
return grid[int(np.argmin(losses))]""",
        # normalised by the column totals instead of the row totals
        """losses = []
for k in grid:
    probabilities = (counts + k) / (counts.sum(axis=0, keepdims=True) + k * counts.shape[1])
    losses.append(-np.log(probabilities[ids[:-1], ids[1:]]).mean())
return grid[int(np.argmin(losses))]""",
    ],
    "02.4": [
        # divided by every position of ids, including the first order - 1 that have no context
        """m = order - 1
train_list, id_list = [int(i) for i in train_ids], [int(i) for i in ids]
seen = {tuple(train_list[s - m : s]) for s in range(m, len(train_list))}
contexts = [tuple(id_list[t - m : t]) for t in range(m, len(id_list))]
return sum(context not in seen for context in contexts) / len(id_list)""",
        # the training text's last context counted as seen, though nothing follows it
        """m = order - 1
train_list, id_list = [int(i) for i in train_ids], [int(i) for i in ids]
seen = {tuple(train_list[s - m : s]) for s in range(m, len(train_list) + 1)}
contexts = [tuple(id_list[t - m : t]) for t in range(m, len(id_list))]
return sum(context not in seen for context in contexts) / len(contexts)""",
        # contexts of n tokens instead of n - 1
        """m = order
train_list, id_list = [int(i) for i in train_ids], [int(i) for i in ids]
seen = {tuple(train_list[s - m : s]) for s in range(m, len(train_list))}
contexts = [tuple(id_list[t - m : t]) for t in range(m, len(id_list))]
return sum(context not in seen for context in contexts) / len(contexts)""",
    ],
    "02.5": [
        # c(h), the number of followers, where T(h), the number of distinct ones, belongs
        """context = tuple(int(i) for i in context)
context = context[max(0, len(context) - (model.order - 1)) :]
probability = 1 / model.vocabulary_size
for m in range(len(context) + 1):
    history = context[len(context) - m :]
    followers = model.counts[m].get(history)
    if followers:
        total = model.totals[m][history]
        probability = (followers[token] + total * probability) / (total + total)
return probability""",
        # every order backs off onto the uniform distribution instead of the shorter context
        """context = tuple(int(i) for i in context)
context = context[max(0, len(context) - (model.order - 1)) :]
probability = 1 / model.vocabulary_size
for m in range(len(context) + 1):
    history = context[len(context) - m :]
    followers = model.counts[m].get(history)
    if followers:
        distinct = len(followers)
        probability = ((followers[token] + distinct / model.vocabulary_size)
                       / (model.totals[m][history] + distinct))
return probability""",
        # the recursion run backwards: from the longest context down to the empty one
        """context = tuple(int(i) for i in context)
context = context[max(0, len(context) - (model.order - 1)) :]
probability = 1 / model.vocabulary_size
for m in reversed(range(len(context) + 1)):
    history = context[len(context) - m :]
    followers = model.counts[m].get(history)
    if followers:
        distinct = len(followers)
        probability = ((followers[token] + distinct * probability)
                       / (model.totals[m][history] + distinct))
return probability""",
        # an unseen context starts again from uniform instead of keeping the shorter estimate
        """context = tuple(int(i) for i in context)
context = context[max(0, len(context) - (model.order - 1)) :]
probability = 1 / model.vocabulary_size
for m in range(len(context) + 1):
    history = context[len(context) - m :]
    followers = model.counts[m].get(history)
    if followers:
        distinct = len(followers)
        probability = ((followers[token] + distinct * probability)
                       / (model.totals[m][history] + distinct))
    else:
        probability = 1 / model.vocabulary_size
return probability""",
        # the denominator without T(h): the distribution no longer sums to one
        """context = tuple(int(i) for i in context)
context = context[max(0, len(context) - (model.order - 1)) :]
probability = 1 / model.vocabulary_size
for m in range(len(context) + 1):
    history = context[len(context) - m :]
    followers = model.counts[m].get(history)
    if followers:
        distinct = len(followers)
        probability = (followers[token] + distinct * probability) / model.totals[m][history]
return probability""",
    ],
}
