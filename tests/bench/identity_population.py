"""Realistic customers for the identity benchmarks, loaded in bulk with SQL.

``people(rng, n)`` yields customers of a multi-country shop: common first and
last names (so many people share a name), each person's own email (a few
households share one), national phone formats, street addresses with real
postal-code shapes, and a share of the same person typed again by another
channel (the email's case or Gmail dots, a reformatted phone, a typo, the
name in the other order, a missing field).

``load_partners(env, rows)`` inserts them into ``res_partner`` with one
``COPY`` into a staging table and one ``INSERT ... SELECT`` (the columns we
don't vary are copied from a partner created by the ORM, so every default
and required column is what Odoo would store), the identity keys filled by
the addon's own functions with the arguments its compute method passes
(``check_keys()`` recomputes a sample with the ORM to prove it), into the
indexes the addon declares, then ``ANALYZE``s the table.
"""

import io
import time
import unicodedata

FIRST_NAMES = [
    "Ada", "Adèle", "Agnès", "Alain", "Albert", "Alexandre", "Alice", "Amélie", "Ana", "Andrea",
    "Anna", "Anne", "Antoine", "Arthur", "Astrid", "Benoît", "Bernard", "Camille", "Carla",
    "Carlos", "Caroline", "Catherine", "Charles", "Charlotte", "Chloé", "Christian",
    "Christine", "Claire", "Daniel", "David", "Denis", "Dominique", "Elena", "Élise", "Emma",
    "Éric", "Eva", "Fabien", "Florian", "François", "Françoise", "Frédéric", "Gabriel",
    "Georges", "Giulia", "Grace", "Guillaume", "Hannah", "Hélène", "Henri", "Hugo", "Inès",
    "Isabelle", "Jacques", "Jan", "Jean", "Jeanne", "Jérôme", "Joana", "João", "Jonas", "Jorge",
    "José", "Julia", "Julie", "Julien", "Karin", "Katarzyna", "Klaus", "Laura", "Laurent",
    "Léa", "Léon", "Lisa", "Louis", "Louise", "Luc", "Lucas", "Lucía", "Luis", "Manon", "Marc",
    "Margaux", "Maria", "Marie", "Marta", "Martin", "Mathieu", "Maxime", "Michel", "Mohamed",
    "Monique", "Nathalie", "Nicolas", "Nina", "Noah", "Olivier", "Paul", "Pauline", "Pedro",
    "Peter", "Philippe", "Pierre", "Piotr", "Rafael", "Raphaël", "Robert", "Sabine", "Sandrine",
    "Sara", "Sébastien", "Simon", "Sofia", "Sophie", "Stefan", "Stéphane", "Susanne", "Sylvie",
    "Thomas", "Tim", "Valérie", "Victor", "Vincent", "Virginie", "Yann", "Yves", "Zoé"
]  # fmt: skip
LAST_NAMES = [
    "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent",
    "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez",
    "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger",
    "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand", "Dufour",
    "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin",
    "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud",
    "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe",
    "Leclercq", "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert",
    "Louis", "Charles", "Guillot", "Rivière", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin",
    "Gonzalez", "Berger", "Lecomte", "Menard", "Fleury", "Deschamps", "Carpentier", "Julien",
    "Benoit", "Paris", "Maillard", "Marchal", "Aubry", "Vasseur", "Le Roux", "Renault",
    "Jacquet", "Collet", "Prévost", "Poirier", "Charpentier", "Royer", "Huet", "Baron", "Dupuy",
    "Pons", "Paul", "Laine", "Carré", "Breton", "Schneider", "Fischer", "Weber", "Wagner",
    "Becker", "Schulz", "Hoffmann", "Koch", "Janssens", "Peeters", "Maes", "Jacobs", "Mertens",
    "Willems", "Claes", "Goossens", "Wouters", "De Jong", "Jansen", "De Vries", "Van den Berg",
    "Bakker", "Visser", "Smit", "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies",
    "Evans", "Wilson", "Johnson", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano",
    "Colombo", "Ricci", "Marino", "Greco", "García", "Rodríguez", "González", "Fernández",
    "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Silva", "Santos", "Ferreira",
    "Pereira", "Oliveira", "Costa", "Rodrigues", "Almeida", "Kowalski", "Nowak", "Wiśniewski"
]  # fmt: skip
COMPANY_WORDS = ["Atelier", "Maison", "Studio", "Boutique", "Comptoir", "Galerie", "Bistro"]
STREETS = {
    "FR": ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire",
           "rue Victor Hugo", "place de la Mairie", "chemin des Vignes", "rue du Moulin",
           "allée des Tilleuls", "rue Pasteur", "avenue de la Gare"],
    "BE": ["rue de la Loi", "avenue Louise", "Kerkstraat", "Stationsstraat",
           "chaussée de Waterloo", "Dorpsstraat"],
    "DE": ["Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
           "Bergstraße"],
    "NL": ["Kerkstraat", "Dorpsstraat", "Molenweg", "Schoolstraat", "Stationsweg"],
    "GB": ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue"],
    "ES": ["Calle Mayor", "Calle de Alcalá", "Avenida de la Constitución", "Calle Real"],
    "IT": ["Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante", "Via Mazzini"],
}  # fmt: skip
CITIES = {
    "FR": [("Paris", "750{:02d}", 20), ("Lyon", "6900{}", 9), ("Marseille", "130{:02d}", 16),
           ("Lille", "590{:02d}", 99), ("Nantes", "440{:02d}", 99), ("Bordeaux", "330{:02d}", 99),
           ("Toulouse", "310{:02d}", 99), ("Rennes", "350{:02d}", 99)],
    "BE": [("Bruxelles", "10{:02d}", 99), ("Gent", "90{:02d}", 99), ("Liège", "40{:02d}", 99),
           ("Antwerpen", "20{:02d}", 99)],
    "DE": [("Berlin", "10{:03d}", 999), ("München", "80{:03d}", 999),
           ("Hamburg", "20{:03d}", 999), ("Köln", "50{:03d}", 999)],
    "NL": [("Amsterdam", "10{:02d} AB", 99), ("Rotterdam", "30{:02d} CD", 99),
           ("Utrecht", "35{:02d} EF", 99)],
    "GB": [("London", "SW{} 4JH", 20), ("Manchester", "M{} 3BB", 40),
           ("Leeds", "LS{} 8PQ", 29)],
    "ES": [("Madrid", "280{:02d}", 55), ("Barcelona", "080{:02d}", 42)],
    "IT": [("Milano", "201{:02d}", 99), ("Roma", "001{:02d}", 99), ("Torino", "101{:02d}", 99)],
}  # fmt: skip
COUNTRY_WEIGHTS = [("FR", 40), ("BE", 12), ("DE", 14), ("NL", 8), ("GB", 10), ("ES", 8),
                   ("IT", 8)]  # fmt: skip
MAIL_DOMAINS = {
    "FR": ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr"],
    "BE": ["gmail.com", "skynet.be", "telenet.be", "hotmail.com"],
    "DE": ["gmail.com", "web.de", "gmx.de", "t-online.de"],
    "NL": ["gmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com"],
    "GB": ["gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk"],
    "ES": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net"],
    "IT": ["gmail.com", "libero.it", "virgilio.it", "alice.it"],
}
# (international prefix, national trunk, mobile prefixes, subscriber digits)
PHONES = {
    "FR": ("33", "0", ["6", "7", "1", "2", "4"], 8),
    "BE": ("32", "0", ["470", "475", "486", "2", "9"], 6),
    "DE": ("49", "0", ["151", "160", "176", "30", "89"], 7),
    "NL": ("31", "0", ["6", "20", "10"], 8),
    "GB": ("44", "0", ["7700", "7911", "20", "161"], 6),
    "ES": ("34", "", ["6", "91", "93"], 8),
    "IT": ("39", "", ["3", "02", "06"], 8),
}


def _pick_country(rng):
    total = sum(weight for _code, weight in COUNTRY_WEIGHTS)
    point = rng.randrange(total)
    for code, weight in COUNTRY_WEIGHTS:
        if point < weight:
            return code
        point -= weight
    return COUNTRY_WEIGHTS[0][0]


def _phone(rng, country):
    """(e164 digits, as a person types it)."""
    cc, trunk, prefixes, digits = PHONES[country]
    prefix = rng.choice(prefixes)
    number = prefix + "".join(str(rng.randrange(10)) for _ in range(digits + 1 - len(prefix[:1])))
    national = trunk + number
    style = rng.randrange(3)
    if style == 0:
        shown = f"+{cc} {number[:3]} {number[3:6]} {number[6:]}"
    elif style == 1:
        shown = " ".join(national[i : i + 2] for i in range(0, len(national), 2))
    else:
        shown = national
    return cc + number, shown


def _address(rng, country):
    city, zip_format, spread = rng.choice(CITIES[country])
    return {
        "street": f"{rng.randrange(1, 180)} {rng.choice(STREETS[country])}",
        "zip": zip_format.format(rng.randrange(1, spread + 1)),
        "city": city,
        "country_code": country,
    }


def _ascii(text):
    text = unicodedata.normalize("NFKD", text)
    return text.encode("ascii", "ignore").decode().lower().replace(" ", "")


def _email(rng, first, last, country, serial):
    first, last = _ascii(first), _ascii(last)
    local = rng.choice(
        [
            f"{first}.{last}{serial}",
            f"{first[:1]}{last}{serial}",
            f"{first}.{last}.{serial}",
            f"{last}{serial % 1000}.{serial}",
        ]
    )
    return f"{local}@{rng.choice(MAIL_DOMAINS[country])}"


def person(rng, serial):
    """One new customer, as an Odoo partner's values."""
    country = _pick_country(rng)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    values = {"name": f"{first} {last}", "is_company": False, **_address(rng, country)}
    values["email"] = _email(rng, first, last, country, serial) if rng.random() < 0.9 else None
    values["phone"] = _phone(rng, country)[1] if rng.random() < 0.8 else None
    if rng.random() < 0.02:  # a small business buying from the shop
        values["name"] = f"{rng.choice(COMPANY_WORDS)} {last}"
        values["is_company"] = True
    return values


def _typo(rng, text):
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # transposed letters
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:  # a letter dropped
        return text[:i] + text[i + 1 :]
    return text[:i] + text[i] + text[i:]  # a letter doubled


def retyped(rng, values):
    """The same customer typed again by another channel."""
    copy = dict(values)
    changes = rng.sample(["email_case", "phone_format", "typo", "order", "drop", "gmail"], 2)
    if "email_case" in changes and copy.get("email"):
        copy["email"] = copy["email"].upper() if rng.random() < 0.5 else copy["email"].title()
    if "gmail" in changes and (copy.get("email") or "").endswith("@gmail.com"):
        local, _at, domain = copy["email"].partition("@")
        copy["email"] = f"{local.replace('.', '')}+shop@{domain}"
    if "phone_format" in changes and copy.get("phone"):
        copy["phone"] = copy["phone"].replace(" ", "")
    if "typo" in changes and not copy["is_company"]:
        copy["name"] = _typo(rng, copy["name"])
    if "order" in changes and not copy["is_company"]:
        first, _sep, last = copy["name"].partition(" ")
        copy["name"] = f"{last.upper()} {first}"
    if "drop" in changes:
        copy[rng.choice(["email", "phone", "street"])] = None
    return copy


def people(rng, count, start=0, duplicate_rate=0.03):
    """``count`` partners' values; ``duplicate_rate`` of them retype an
    earlier one of this call. ``start`` numbers the emails (unique per run)."""
    recent = []
    for n in range(count):
        if recent and rng.random() < duplicate_rate:
            yield retyped(rng, rng.choice(recent))
            continue
        values = person(rng, start + n)
        if recent and rng.random() < 0.01:  # a household: same mailbox and address
            other = rng.choice(recent)
            if not other["is_company"] and not values["is_company"]:
                first = values["name"].split(" ", 1)[0]
                last = other["name"].split(" ", 1)[-1]
                keep = ("email", "street", "zip", "city", "country_code")
                values.update({k: other[k] for k in keep}, name=f"{first} {last}")
        if len(recent) < 5000:
            recent.append(values)
        else:
            recent[rng.randrange(5000)] = values
        yield values


# Bulk load

VARIED = ("name", "complete_name", "email", "email_normalized", "phone", "phone_sanitized",
          "street", "zip", "city", "country_id", "is_company")  # fmt: skip
STAGED = ("name", "email", "phone", "street", "zip", "city", "country_id", "is_company")


def _copy_text(value):
    if value is None:
        return r"\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def key_columns():
    """The identity keys res.partner stores (names of its columns)."""
    from odoo.addons.retail_identity_resolution.models.res_partner import BLOCKING_COLUMNS

    return ["retail_name_key", *BLOCKING_COLUMNS.values()]


def _record(values):
    """The partner of ``values`` as ``res.partner._retail_identity_record``
    reads it (same function, same arguments: the partner's country reads its
    phone and postal code)."""
    from odoo.addons.retail_identity_resolution.matching import record_from_values

    country = values.get("country_code")
    return record_from_values(
        is_company=values.get("is_company", False),
        name=values.get("name"),
        email=values.get("email"),
        phone=values.get("phone"),
        street=values.get("street"),
        zip=values.get("zip"),
        city=values.get("city"),
        country_code=country,
        default_country=country,
    )


def identity_keys(record):
    """The keys ``res.partner._compute_retail_identity_keys`` stores for
    ``record``."""
    from odoo.addons.retail_identity_resolution.matching import blocking_keys
    from odoo.addons.retail_identity_resolution.models.res_partner import BLOCKING_COLUMNS

    keys = blocking_keys(record)
    return [record.name_key, *(keys.get(key) for key in BLOCKING_COLUMNS)]


def key_rows(partner_id, record):
    """The ``retail.identity.key`` rows a partner of ``record`` holds
    (``res.partner._retail_add_identity_keys``)."""
    from odoo.addons.retail_identity_resolution.identity_keys import KEY_WEIGHTS
    from odoo.addons.retail_identity_resolution.identity_keys import (
        identity_keys as partner_keys,
    )

    return [
        (partner_id, kind, value, KEY_WEIGHTS[kind], False) for kind, value in partner_keys(record)
    ]


def load_partners(env, rows, log=print):
    """Insert ``rows`` (values of ``people()``) as partners with their keys;
    return their ids."""
    cr = env.cr
    countries = {c.code: c.id for c in env["res.country"].search([])}
    keys = key_columns()
    template = env["res.partner"].create({"name": "Bench template", "email": "t@example.com"})
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'res_partner' AND table_schema = current_schema()"
    )
    skipped = {*VARIED, *keys, "id", "commercial_partner_id"}
    kept = [name for (name,) in cr.fetchall() if name not in skipped]
    started = time.perf_counter()
    rows = list(rows)
    cr.execute("SELECT nextval('res_partner_id_seq') FROM generate_series(1, %s)", [len(rows)])
    ids = sorted(row[0] for row in cr.fetchall())
    buffer, key_buffer = io.StringIO(), io.StringIO()
    count = 0
    for partner_id, values in zip(ids, rows, strict=True):
        record = _record(values)
        line = (
            partner_id,
            values["name"],
            values.get("email"),
            values.get("phone"),
            values.get("street"),
            values.get("zip"),
            values.get("city"),
            countries.get(values.get("country_code")),
            bool(values.get("is_company")),
            *identity_keys(record),
        )
        buffer.write("\t".join(_copy_text(v) for v in line) + "\n")
        for key in key_rows(partner_id, record):
            key_buffer.write("\t".join(_copy_text(v) for v in key) + "\n")
        count += 1
    buffer.seek(0)
    key_buffer.seek(0)
    log(f"   computed the identity keys of {count} partners in "
        f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    started = time.perf_counter()
    staged = [*STAGED, *keys]
    types = {"id": "int", "country_id": "int", "is_company": "bool"}
    cr.execute(
        "CREATE TEMP TABLE bench_people ("
        + ", ".join(f"{c} {types.get(c, 'varchar')}" for c in ["id", *staged])
        + ") ON COMMIT DROP"
    )
    cr.copy_expert("COPY bench_people FROM STDIN", buffer)
    kept_sql = ", ".join(f't."{c}"' for c in kept)
    cr.execute(
        f"""
        INSERT INTO res_partner (id, commercial_partner_id, complete_name, email_normalized,
                                 phone_sanitized, {", ".join(staged)}, {", ".join(kept)})
        SELECT s.id, s.id, s.name, lower(s.email), s.retail_phone_key,
               {", ".join(f"s.{c}" for c in staged)}, {kept_sql}
          FROM bench_people s, res_partner t
         WHERE t.id = %s
        """,
        [template.id],
    )
    cr.copy_expert(
        "COPY retail_identity_key (partner_id, kind, value, weight, provisional) FROM STDIN",
        key_buffer,
    )
    template.unlink()
    cr.commit()
    log(f"   inserted them and their identity keys with COPY + INSERT ... SELECT in "
        f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    started = time.perf_counter()
    cr.execute("ANALYZE res_partner")
    cr.commit()
    cr.execute("ANALYZE retail_identity_key")
    cr.commit()
    log(f"   ANALYZE res_partner, retail_identity_key in {time.perf_counter() - started:.1f}s")
    return ids


def check_keys(env, ids, rng, sample=300):
    """Recompute the keys of a sample of ``ids`` with the ORM's compute method
    and return how many partners differ from what was loaded."""
    Partner = env["res.partner"]
    keys = key_columns()
    chosen = rng.sample(ids, min(sample, len(ids)))
    env.cr.execute(
        f"SELECT id, {', '.join(keys)} FROM res_partner WHERE id = ANY(%s)",
        [chosen],
    )
    stored = {row[0]: row[1:] for row in env.cr.fetchall()}
    records = Partner.browse(chosen)
    env.invalidate_all()
    for name in keys:
        env.add_to_compute(Partner._fields[name], records)
    differ = [p.id for p in records if tuple(p[name] or None for name in keys) != stored[p.id]]
    env.flush_all()  # the same values, unless they differ
    env.cr.commit()
    return differ
