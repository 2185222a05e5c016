"""Bibliography labels in the author-year form of the citations: "Box et al., 2015", not "[BJRL15]".

The book cites with sphinxcontrib-bibtex's ``author_year`` reference style; its bibliography takes its labels
from the pybtex formatting style, whose default labels are alphabetic codes. This registers the style
``authoryear``: pybtex's ``unsrt`` entries, sorted by author and year, labelled as they are cited.
"""

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    """'van den Oord': the particles that the citation keeps, then the last names."""
    return " ".join(str(name) for name in [*person.rich_prelast_names, *person.rich_last_names])


class AuthorYearLabels(BaseLabelStyle):
    """'Elman, 1990', 'Cho and Bengio, 2014', 'Box et al., 2015': the citation's own words."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_surname(person) for person in people]
            if len(names) > 2:
                who = f"{names[0]} et al."
            elif len(names) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = names[0] if names else entry.key
            yield f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
