"""The playground: a local web page where the real library trains a small network on 2-D data.

``numpy-mlp playground`` starts it. The page shows the data over the model's probability, each
hidden neuron's picture, the learning curves and the Python that does the same, in Portuguese
and English, and downloads the trained model. The modules, by concept: ``data`` (the five 2-D
data sets; NumPy only, so the page's code runs without the extra), ``messages`` (what the page
may send, checked), ``model`` (the network and optimizer for the settings), ``snippet`` (the
code panel), ``pictures`` (what a frame shows), ``session`` (one tab's state) and ``server``
(Starlette and uvicorn: needs ``pip install numpy-mlp[playground]``).
"""
