"""NumPy reference implementations used to teach and to check Keras.

Import from the modules, e.g. ``from dlcourse_keras.numpy_ref.perceptron import Perceptron``.
"""
