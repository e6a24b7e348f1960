"""Model-level helpers built on ordinary ``keras.Model`` objects."""

from .transfer import (block_of, build_transfer_model, cut_base, freeze, list_blocks, parameter_counts,
                       unfreeze_blocks)
