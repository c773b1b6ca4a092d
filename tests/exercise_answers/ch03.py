"""Plausible wrong answers to chapter 03's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "03.1": [
        # no shift: overflows for large logits and underflows for very negative ones
        "e = np.exp(z)\nreturn e / e.sum()",
        # shifted by the smallest entry: the largest exponent overflows
        "e = np.exp(z - np.min(z))\nreturn e / e.sum()",
        # shifted by the mean: still overflows for [1000, 0, -1000]
        "e = np.exp(z - np.mean(z))\nreturn e / e.sum()",
        # normalised by the largest term instead of the sum
        "e = np.exp(z - np.max(z))\nreturn e / e.max()",
    ],
    "03.2": [
        # plain gradient descent: the velocity is never used
        "return theta - learning_rate * gradient, velocity",
        # an exponential average of the gradients instead of a decaying sum of steps
        """velocity = momentum * velocity + (1 - momentum) * gradient
return theta - learning_rate * velocity, velocity""",
        # theta moved by the old velocity, before it is updated
        """new_theta = theta + velocity
velocity = momentum * velocity - learning_rate * gradient
return new_theta, velocity""",
        # the gradient's step left out of the velocity that moves theta
        """new_velocity = momentum * velocity - learning_rate * gradient
return theta + momentum * velocity, new_velocity""",
    ],
    "03.3": [
        # the two betas swapped
        """m = v = 0.0
for t, g in enumerate(gradients, start=1):
    m = beta_2 * m + (1 - beta_2) * g
    v = beta_1 * v + (1 - beta_1) * g * g
return m / (1 - beta_2**t), v / (1 - beta_1**t)""",
        # corrected with beta instead of beta to the power t
        """m = v = 0.0
for g in gradients:
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
return m / (1 - beta_1), v / (1 - beta_2)""",
        # the correction applied inside the loop, so it compounds from step to step
        """m = v = 0.0
for t, g in enumerate(gradients, start=1):
    m = (beta_1 * m + (1 - beta_1) * g) / (1 - beta_1**t)
    v = (beta_2 * v + (1 - beta_2) * g * g) / (1 - beta_2**t)
return m, v""",
        # the second average of the squared first average instead of the squared gradient
        """m = v = 0.0
for t, g in enumerate(gradients, start=1):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * m * m
return m / (1 - beta_1**t), v / (1 - beta_2**t)""",
        # no bias correction
        """m = v = 0.0
for g in gradients:
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
return m, v""",
        # only the last gradient counts (right for a constant gradient, wrong otherwise)
        "g = gradients[-1]\nreturn g, g * g",
    ],
}
