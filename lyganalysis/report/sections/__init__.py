"""Detailed report sections, one module each: ``build(ds, *, county, school_year, language,
min_cell_size) -> Section`` with ``to_dict()`` (into ``<county>.metrics.json``), ``html()``,
``figure_names()`` and ``plot(name, ax=)``."""
