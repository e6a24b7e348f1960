"""Keras callbacks that record and draw what happens during training."""
