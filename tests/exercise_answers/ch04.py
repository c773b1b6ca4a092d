"""Plausible wrong answers to chapter 04's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "04.1": [
        # the recurrent layer's bias forgotten
        "embedding = vocabulary_size * embedding_dim\n"
        "cell = embedding_dim * hidden_dim + hidden_dim * hidden_dim\n"
        "output = hidden_dim * vocabulary_size + vocabulary_size\n"
        "return embedding + cell + output",
        # the output layer's bias forgotten
        "embedding = vocabulary_size * embedding_dim\n"
        "cell = embedding_dim * hidden_dim + hidden_dim * hidden_dim + hidden_dim\n"
        "output = hidden_dim * vocabulary_size\n"
        "return embedding + cell + output",
        # the cell reading one-hot characters, as if there were no embedding table
        "cell = vocabulary_size * hidden_dim + hidden_dim * hidden_dim + hidden_dim\n"
        "output = hidden_dim * vocabulary_size + vocabulary_size\n"
        "return cell + output",
    ],
    "04.2": [
        # each tensor clipped on its own: the direction changes
        "return [g * tf.minimum(1.0, max_norm / tf.norm(g)) for g in gradients]",
        # always rescaled to max_norm, even when the gradient is shorter
        "norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in gradients]))\n"
        "return [g * (max_norm / norm) for g in gradients]",
        # the global norm taken as the sum of the tensors' norms
        "norm = tf.add_n([tf.norm(g) for g in gradients])\n"
        "return [g * tf.minimum(1.0, max_norm / norm) for g in gradients]",
    ],
    "04.3": [
        # cut one step early: after steps 1, 9, 17, ... (t counted from 0)
        "state = tf.zeros((inputs.shape[0], recurrent_kernel.shape[0]))\n"
        "states = []\n"
        "for t in range(inputs.shape[1]):\n"
        "    state = tf.tanh(inputs[:, t] @ kernel + state @ recurrent_kernel + bias)\n"
        "    states.append(state)\n"
        "    if t % truncate_every == 0:\n"
        "        state = tf.stop_gradient(state)\n"
        "return tf.stack(states, axis=1)",
        # the recorded state cut too, so the loss on it teaches nothing
        "state = tf.zeros((inputs.shape[0], recurrent_kernel.shape[0]))\n"
        "states = []\n"
        "for t in range(inputs.shape[1]):\n"
        "    state = tf.tanh(inputs[:, t] @ kernel + state @ recurrent_kernel + bias)\n"
        "    if (t + 1) % truncate_every == 0:\n"
        "        state = tf.stop_gradient(state)\n"
        "    states.append(state)\n"
        "return tf.stack(states, axis=1)",
        # the state reset to zero at a cut: the values change
        "state = tf.zeros((inputs.shape[0], recurrent_kernel.shape[0]))\n"
        "states = []\n"
        "for t in range(inputs.shape[1]):\n"
        "    state = tf.tanh(inputs[:, t] @ kernel + state @ recurrent_kernel + bias)\n"
        "    states.append(state)\n"
        "    if (t + 1) % truncate_every == 0:\n"
        "        state = tf.zeros_like(state)\n"
        "return tf.stack(states, axis=1)",
        # no cut at all: full BPTT
        "return rnn_forward(inputs, kernel, recurrent_kernel, bias)",
        # a cut after every step
        "state = tf.zeros((inputs.shape[0], recurrent_kernel.shape[0]))\n"
        "states = []\n"
        "for t in range(inputs.shape[1]):\n"
        "    state = tf.tanh(inputs[:, t] @ kernel + state @ recurrent_kernel + bias)\n"
        "    states.append(state)\n"
        "    state = tf.stop_gradient(state)\n"
        "return tf.stack(states, axis=1)",
    ],
    "04.4": [
        # an absolute threshold instead of a share of the best token's probability
        "kept = np.where(probabilities >= self.min_share, probabilities, 0.0)\n"
        "kept = kept / kept.sum(axis=-1, keepdims=True)\n"
        "return super().get_next_token(kept, rng)",
        # the best token taken, not drawn
        "keep = probabilities >= self.min_share * probabilities.max(axis=-1, keepdims=True)\n"
        "kept = np.where(keep, probabilities, 0.0)\n"
        "return np.argmax(kept, axis=-1)",
        # drawn with NumPy's global generator instead of rng: a seed no longer repeats a sample
        "keep = probabilities >= self.min_share * probabilities.max(axis=-1, keepdims=True)\n"
        "kept = np.where(keep, probabilities, 0.0)\n"
        "kept = kept / kept.sum(axis=-1, keepdims=True)\n"
        "return np.array([np.random.choice(len(row), p=row) for row in kept])",
    ],
}
