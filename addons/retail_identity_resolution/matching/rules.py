"""The seeded field rules read straight from the addon's data file, for
code that runs without a database (pure tests, the accuracy benchmark): the
parameters have one source, ``data/retail_identity_field_rule_data.xml``."""

from pathlib import Path

from lxml import etree

SEEDED_RULES_FILE = Path(__file__).parent.parent / "data" / "retail_identity_field_rule_data.xml"

_FLOATS = {"min_similarity", "m_probability", "u_probability"}


def load_rules_xml(path=SEEDED_RULES_FILE):
    """Return the field-rule values of an Odoo data file (as
    :meth:`MatchModel.from_rules` takes them)."""
    rules = []
    for record in etree.parse(str(path)).iterfind(".//record[@model='retail.identity.field.rule']"):
        values = {"xml_id": record.get("id"), "active": True}
        for node in record.iterfind("field"):
            name, text = node.get("name"), (node.text or "").strip()
            if name in _FLOATS:
                values[name] = float(text)
            elif name == "sequence":
                values[name] = int(text)
            elif name == "active":
                values[name] = node.get("eval", text) not in {"False", "0", ""}
            else:
                values[name] = text
        rules.append(values)
    return rules
