from . import mirakl
