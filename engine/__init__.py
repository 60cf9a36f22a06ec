"""Backprop Playground's engine: exact, fast NumPy backpropagation for small networks on 2-D data.

Pure NumPy, nothing web. The server wraps one ``Trainer`` per session; a notebook or a script can use it the
same way. The full API is in docs/engine.md. Training XOR::

    from engine.trainer import Trainer

    trainer = Trainer({"dataset": "xor", "layers": [4], "activation": "tanh",
                       "optimizer": "adam", "learning_rate": 0.03, "seed": 1})
    for _ in range(20):
        trainer.train_epoch()                    # one pass over the training points
    print(trainer.evaluate())                    # train/test loss and accuracy
    trainer.apply({"layers": [4, 3]})            # a live edit: the first layer's weights are kept
    trainer.train(500)                           # 500 more mini-batch steps
    grids = trainer.grids(100, 25)               # decision boundary and every neuron's map

Command-line tools: ``python -m engine.lessons.lesson`` (the worked 2-2-1 example), ``python -m
engine.lessons.gradcheck``
(finite differences for every activation x loss), ``python -m engine.bench`` (step and grid costs).
"""
