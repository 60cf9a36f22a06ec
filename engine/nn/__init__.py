"""The network and its parts: activations, losses, initialisers, the flat-vector network, live architecture edits,
grids, regularisation.
"""
