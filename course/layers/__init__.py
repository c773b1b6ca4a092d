"""Keras layers that the chapters build from their equations, checked against Keras' own.

Each chapter proves its scratch version equal to the reference and later chapters import it
from here. Every layer is registered for ``.keras`` saving under the package name ``course``.

* :class:`SimpleRNNCell` (chapter 04) - ``h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)``, for
  ``keras.layers.RNN``.
* :class:`LSTMCell` and :class:`GRUCell` (chapter 05) - the gated cells, in the weight layout of
  ``keras.layers.LSTM`` and ``keras.layers.GRU``, for ``keras.layers.RNN``.
"""

from course.layers.gated import GRUCell, LSTMCell
from course.layers.recurrent import SimpleRNNCell

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell"]
