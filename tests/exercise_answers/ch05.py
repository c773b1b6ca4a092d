"""Plausible wrong answers to chapter 05's exercises: each must fail its check."""

WRONG_ANSWERS = {
    "05.1": [
        # reset after the product, as Keras' default does (the model of gru_step, one bias row)
        "x_z, x_r, x_h = np.split(x_t @ kernel + bias, 3, axis=-1)\n"
        "h_z, h_r, h_h = np.split(h_previous @ recurrent_kernel, 3, axis=-1)\n"
        "update_gate, reset_gate = sigmoid(x_z + h_z), sigmoid(x_r + h_r)\n"
        "candidate = np.tanh(x_h + reset_gate * h_h)\n"
        "return update_gate * h_previous + (1.0 - update_gate) * candidate",
        # the update gate read the other way round: z = 1 takes the candidate
        "x_z, x_r, x_h = np.split(x_t @ kernel + bias, 3, axis=-1)\n"
        "u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)\n"
        "update_gate = sigmoid(x_z + h_previous @ u_z)\n"
        "reset_gate = sigmoid(x_r + h_previous @ u_r)\n"
        "candidate = np.tanh(x_h + (reset_gate * h_previous) @ u_h)\n"
        "return (1.0 - update_gate) * h_previous + update_gate * candidate",
        # no reset at all: the candidate sees the whole old state
        "x_z, x_r, x_h = np.split(x_t @ kernel + bias, 3, axis=-1)\n"
        "u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)\n"
        "update_gate = sigmoid(x_z + h_previous @ u_z)\n"
        "candidate = np.tanh(x_h + h_previous @ u_h)\n"
        "return update_gate * h_previous + (1.0 - update_gate) * candidate",
        # the reset gate applied to the candidate's output instead of the old state
        "x_z, x_r, x_h = np.split(x_t @ kernel + bias, 3, axis=-1)\n"
        "u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)\n"
        "update_gate = sigmoid(x_z + h_previous @ u_z)\n"
        "reset_gate = sigmoid(x_r + h_previous @ u_r)\n"
        "candidate = reset_gate * np.tanh(x_h + h_previous @ u_h)\n"
        "return update_gate * h_previous + (1.0 - update_gate) * candidate",
    ],
    "05.2": [
        # the mean lifetime 1 / (1 - f) instead of the half-life
        "return 1.0 / (1.0 - 1.0 / (1.0 + math.exp(-forget_bias)))",
        # the continuous-time approximation ln 2 / (1 - f)
        "return math.log(2.0) / (1.0 - 1.0 / (1.0 + math.exp(-forget_bias)))",
        # the bias taken for the gate's value: exp(b) in place of sigmoid(b)
        "return math.log(0.5) / math.log(1.0 / (1.0 + math.exp(forget_bias)))",
        # half of the memory per step rather than per half-life: log base 2 of the gate
        "return -math.log2(1.0 / (1.0 + math.exp(-forget_bias)))",
    ],
    "05.3": [
        # LSTM(num_layers): one layer with num_layers units
        "return keras.Sequential([keras.Input((None,), dtype='int32'),\n"
        "                         keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM),\n"
        "                         keras.layers.LSTM(num_layers, return_sequences=True),\n"
        "                         keras.layers.Dense(vocabulary_size)])",
        # no projection: the last LSTM's outputs taken for logits
        "layers = [keras.Input((None,), dtype='int32'),\n"
        "          keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM)]\n"
        "layers += [keras.layers.LSTM(hidden_dim, return_sequences=True)\n"
        "           for _ in range(num_layers)]\n"
        "return keras.Sequential(layers)",
        # the last LSTM returns only its final output: one prediction per window
        "layers = [keras.Input((None,), dtype='int32'),\n"
        "          keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM)]\n"
        "layers += [keras.layers.LSTM(hidden_dim, return_sequences=True)\n"
        "           for _ in range(num_layers - 1)]\n"
        "layers += [keras.layers.LSTM(hidden_dim), keras.layers.Dense(vocabulary_size)]\n"
        "return keras.Sequential(layers)",
        # bidirectional layers: each position also reads the characters after it
        "layers = [keras.Input((None,), dtype='int32'),\n"
        "          keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM)]\n"
        "layers += [keras.layers.Bidirectional(keras.layers.LSTM(hidden_dim,\n"
        "           return_sequences=True), merge_mode='sum') for _ in range(num_layers)]\n"
        "return keras.Sequential([*layers, keras.layers.Dense(vocabulary_size)])",
        # a softmax on the projection: probabilities where the loss expects logits
        "layers = [keras.Input((None,), dtype='int32'),\n"
        "          keras.layers.Embedding(vocabulary_size, EMBEDDING_DIM)]\n"
        "layers += [keras.layers.LSTM(hidden_dim, return_sequences=True)\n"
        "           for _ in range(num_layers)]\n"
        "return keras.Sequential([*layers, keras.layers.Dense(vocabulary_size,\n"
        "                                                     activation='softmax')])",
    ],
}
