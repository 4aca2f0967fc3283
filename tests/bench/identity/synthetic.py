"""A seeded synthetic customer base, typed by several channels with the noise
real people and clerks add.

Every record carries the id of the person (or company) it belongs to, the
truth the benchmark scores against. What makes it hard:

* the same person: typos, swapped or nick names, titles, capitals and
  accents, Gmail dots and +tags, phones typed in every format, street types
  abbreviated and house numbers moved, postal codes with spaces, a second
  mailbox or a new mobile, a move to another address, fields left out (a POS
  customer with only a name and a phone, a marketplace buyer with a relay
  address and no phone);
* different people: households sharing surname, address, landline and
  sometimes a family mailbox; namesakes ("Jean Martin") in other towns and a
  few in the same one; a father and son of the same name at one address;
  the shop's switchboard typed as the phone of walk-in customers; a company
  and its employee sharing address, phone and domain.
"""

import random
import string
import unicodedata
from dataclasses import dataclass, field

FIRST_NAMES = {
    "FR": [
        ("Jean", "m"), ("Pierre", "m"), ("Nicolas", "m"), ("Philippe", "m"), ("Thomas", "m"),
        ("Sébastien", "m"), ("Stéphane", "m"), ("François", "m"), ("Laurent", "m"), ("Julien", "m"),
        ("Christophe", "m"), ("Frédéric", "m"), ("Alexandre", "m"), ("Antoine", "m"),
        ("Marie", "f"), ("Nathalie", "f"), ("Isabelle", "f"), ("Sophie", "f"), ("Catherine", "f"),
        ("Hélène", "f"), ("Camille", "f"), ("Julie", "f"), ("Céline", "f"), ("Émilie", "f"),
        ("Anne", "f"), ("Valérie", "f"), ("Sandrine", "f"), ("Margaux", "f"), ("Chloé", "f"),
    ],
    "GB": [
        ("William", "m"), ("Robert", "m"), ("James", "m"), ("Michael", "m"), ("Richard", "m"),
        ("Thomas", "m"), ("Edward", "m"), ("Daniel", "m"), ("Matthew", "m"), ("Anthony", "m"),
        ("Elizabeth", "f"), ("Margaret", "f"), ("Catherine", "f"), ("Jennifer", "f"),
        ("Susan", "f"), ("Patricia", "f"), ("Rebecca", "f"), ("Victoria", "f"), ("Emily", "f"),
    ],
    "DE": [
        ("Johannes", "m"), ("Wolfgang", "m"), ("Friedrich", "m"), ("Stefan", "m"), ("Jürgen", "m"),
        ("Andreas", "m"), ("Klaus", "m"), ("Katharina", "f"), ("Ursula", "f"), ("Sabine", "f"),
        ("Monika", "f"), ("Birgit", "f"), ("Jörg", "m"), ("Claudia", "f"),
    ],
}  # fmt: skip
SURNAMES = {
    "FR": [
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre",
        "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
        "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel",
        "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
        "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer",
        "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël",
        "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard",
    ],
    "GB": [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
        "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips",
        "Mason", "Mitchell", "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "O'Neil",
    ],
    "DE": [
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
    ],
}  # fmt: skip
STREETS = {
    "FR": [
        ("rue", "de la Paix"), ("rue", "Victor Hugo"), ("avenue", "Jean Jaurès"),
        ("boulevard", "Voltaire"), ("rue", "de la République"), ("place", "de la Mairie"),
        ("rue", "Pasteur"), ("avenue", "Foch"), ("chemin", "des Vignes"), ("rue", "des Écoles"),
        ("allée", "des Tilleuls"), ("impasse", "du Moulin"), ("rue", "Nationale"),
        ("boulevard", "Gambetta"), ("rue", "du Général Leclerc"), ("quai", "de la Loire"),
    ],
    "GB": [
        ("Street", "High"), ("Road", "Station"), ("Lane", "Church"), ("Street", "Victoria"),
        ("Road", "Park"), ("Avenue", "Queens"), ("Close", "Manor"), ("Drive", "Kingsway"),
        ("Road", "London"), ("Street", "Mill"), ("Crescent", "Albert"), ("Terrace", "York"),
    ],
    "DE": [
        ("straße", "Haupt"), ("straße", "Schul"), ("weg", "Garten"), ("straße", "Bahnhof"),
        ("platz", "Markt"), ("straße", "Berliner "), ("gasse", "Kirch"), ("straße", "Goethe"),
    ],
}  # fmt: skip
CITIES = {
    "FR": [
        ("Paris", "75011"), ("Paris", "75015"), ("Paris", "75002"), ("Lyon", "69003"),
        ("Marseille", "13008"), ("Toulouse", "31000"), ("Nantes", "44000"), ("Lille", "59000"),
        ("Saint-Étienne", "42000"), ("Bordeaux", "33000"), ("Rennes", "35000"),
        ("Saint-Denis", "93200"), ("Montpellier", "34000"), ("Strasbourg", "67000"),
        ("Nice", "06000"), ("Annecy", "74000"), ("Grenoble", "38000"), ("Dijon", "21000"),
    ],
    "GB": [
        ("London", "SW1A 1AA"), ("London", "E1 6AN"), ("Manchester", "M1 1AE"),
        ("Leeds", "LS1 4DY"), ("Bristol", "BS1 5TR"), ("York", "YO1 7HH"),
        ("St Albans", "AL1 1BX"), ("Oxford", "OX1 2JD"),
    ],
    "DE": [
        ("Berlin", "10115"), ("Hamburg", "20095"), ("München", "80331"), ("Köln", "50667"),
        ("Frankfurt am Main", "60311"), ("Leipzig", "04109"),
    ],
}  # fmt: skip
DIAL = {"FR": ("+33", "0"), "GB": ("+44", "0"), "DE": ("+49", "0")}
NICKNAMES = {
    "William": ["Bill", "Will"], "Robert": ["Bob", "Rob"], "James": ["Jim", "Jimmy"],
    "Michael": ["Mike"], "Richard": ["Rick", "Dick"], "Thomas": ["Tom"], "Edward": ["Ed", "Ted"],
    "Daniel": ["Dan"], "Matthew": ["Matt"], "Anthony": ["Tony"], "Elizabeth": ["Liz", "Beth"],
    "Margaret": ["Maggie", "Peggy"], "Catherine": ["Kate", "Cathy"], "Jennifer": ["Jen"],
    "Susan": ["Sue"], "Patricia": ["Pat"], "Rebecca": ["Becky"], "Victoria": ["Vicky"],
    "Nicolas": ["Nico"], "Sébastien": ["Seb"], "Stéphane": ["Steph"], "Alexandre": ["Alex"],
    "Frédéric": ["Fred"], "Johannes": ["Hannes"], "Friedrich": ["Fritz"],
}  # fmt: skip
MAIL_DOMAINS = [
    "gmail.com", "gmail.com", "gmail.com", "orange.fr", "free.fr", "yahoo.com", "outlook.com",
    "hotmail.com", "icloud.com", "gmx.de", "web.de", "laposte.net",
]  # fmt: skip
COMPANY_WORDS = [
    "Atelier", "Boulangerie", "Garage", "Studio", "Conseil", "Design", "Tech", "Services",
    "Bâtiment", "Optique", "Pharmacie", "Transports",
]  # fmt: skip
LEGAL_FORMS = {"FR": ["SARL", "SAS", "EURL"], "GB": ["Ltd", "LLP"], "DE": ["GmbH", "KG"]}
CHANNELS = ("web", "pos", "marketplace")


@dataclass
class Entity:
    """One real person or company, with its current identifiers."""

    id: int
    country: str
    is_company: bool
    first: str | None
    last: str
    gender: str
    emails: list = field(default_factory=list)
    phones: list = field(default_factory=list)
    addresses: list = field(default_factory=list)  # (number, type, street name, city, zip)
    relay: str | None = None
    kind: str = "person"


def _ascii_local(text):
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum() and c.isascii()).lower()


def _mailbox(email):
    """The mailbox an address reaches: Gmail ignores dots, so "jean.roy"
    and "jeanroy" are one mailbox, never two people's."""
    local, domain = email.split("@")
    return (local.replace(".", "") if domain == "gmail.com" else local) + "@" + domain


class SyntheticGenerator:
    """Generates entities and their records with one ``random.Random``."""

    def __init__(self, seed=6, switchboards=3):
        self.rng = random.Random(seed)
        self.next_id = 0
        self.entities = []
        self.used = set()  # mailboxes and numbers are unique: a second one gets a number
        self.switchboards = [self._mobile("FR", landline=True) for _ in range(switchboards)]

    # --- identifiers -----------------------------------------------------
    def _mobile(self, country, landline=False):
        number = self._draw_number(country, landline)
        while number in self.used:
            number = self._draw_number(country, landline)
        self.used.add(number)
        return number

    def _draw_number(self, country, landline):
        rng = self.rng
        if country == "FR":
            lead = str(rng.choice([1, 2, 3, 4, 5])) if landline else rng.choice(["6", "7"])
            return "+33" + lead + "".join(rng.choices(string.digits, k=8))
        if country == "GB":
            lead = "20" if landline else "7" + rng.choice("45789")
            return "+44" + lead + "".join(rng.choices(string.digits, k=10 - len(lead)))
        lead = "30" if landline else "15" + rng.choice("12579")
        return "+49" + lead + "".join(rng.choices(string.digits, k=10 - len(lead)))

    def _email(self, first, last, shared=False):
        rng = self.rng
        first_l, last_l = _ascii_local(first or ""), _ascii_local(last)
        pattern = rng.choice(
            ["{f}.{l}", "{f}{l}", "{i}{l}", "{l}.{f}", "{f}_{l}{n}", "{f}{n}", "{l}{n}"]
        )
        if shared:
            pattern = rng.choice(["famille.{l}", "{l}.family", "the{l}s", "{l}{n}"])
        local = pattern.format(
            f=first_l, l=last_l, i=first_l[:1], n=rng.randint(1, 99) if "{n}" in pattern else ""
        )
        domain = rng.choice(MAIL_DOMAINS)
        email, suffix = f"{local}@{domain}", 1
        while _mailbox(email) in self.used:
            suffix += rng.randint(1, 9)
            email = f"{local}{suffix}@{domain}"
        self.used.add(_mailbox(email))
        return email

    def _address(self, country):
        rng = self.rng
        kind, street = rng.choice(STREETS[country])
        city, zip_code = rng.choice(CITIES[country])
        return (str(rng.randint(1, 180)), kind, street, city, zip_code)

    # --- entities ----------------------------------------------------------
    def _new_entity(self, **values):
        entity = Entity(id=self.next_id, **values)
        self.next_id += 1
        self.entities.append(entity)
        return entity

    def _person(self, country=None, last=None, address=None, first=None):
        rng = self.rng
        country = country or rng.choices(["FR", "GB", "DE"], weights=[6, 3, 1])[0]
        first_name, gender = first or rng.choice(FIRST_NAMES[country])
        last = last or rng.choice(SURNAMES[country])
        entity = self._new_entity(
            country=country, is_company=False, first=first_name, last=last, gender=gender
        )
        entity.emails.append(self._email(first_name, last))
        entity.phones.append(self._mobile(country))
        entity.addresses.append(address or self._address(country))
        if rng.random() < 0.15:  # a second mailbox used somewhere
            entity.emails.append(self._email(first_name, last))
        if rng.random() < 0.1:  # a new mobile
            entity.phones.append(self._mobile(country))
        if rng.random() < 0.1:  # moved
            entity.addresses.append(self._address(country))
        entity.relay = "".join(rng.choices(string.ascii_lowercase + string.digits, k=14))
        return entity

    def generate(self, n_entities):
        """Create about ``n_entities`` people and companies, with the hard
        negatives described in the module docstring."""
        rng = self.rng
        while len(self.entities) < n_entities:
            draw = rng.random()
            if draw < 0.10:  # household: partner or child at the same address
                head = self._person()
                landline = self._mobile(head.country, landline=True)
                family_mail = self._email(None, head.last, shared=True)
                other = self._person(
                    country=head.country, last=head.last, address=head.addresses[0]
                )
                while other.first == head.first:
                    other.first, other.gender = rng.choice(FIRST_NAMES[head.country])
                for member in (head, other):
                    member.kind = "household"
                    if rng.random() < 0.6:
                        member.phones.insert(0, landline)
                    if rng.random() < 0.5:
                        member.emails.insert(0, family_mail)
            elif draw < 0.115:  # father and son of the same name, at one address
                father = self._person()
                son = self._person(
                    country=father.country,
                    last=father.last,
                    address=father.addresses[0],
                    first=(father.first, father.gender),
                )
                father.kind = son.kind = "same_name_same_address"
            elif draw < 0.14:  # namesakes in the same town
                first = self._person()
                city, zip_code = first.addresses[0][3], first.addresses[0][4]
                twin = self._person(
                    country=first.country, last=first.last, first=(first.first, first.gender)
                )
                number, kind, street, _city, _zip = twin.addresses[0]
                twin.addresses[0] = (number, kind, street, city, zip_code)
                first.kind = twin.kind = "namesake_same_town"
            elif draw < 0.19:  # a company and its employee
                employee = self._person()
                country = employee.country
                name = f"{rng.choice(COMPANY_WORDS)} {employee.last}"
                company = self._new_entity(
                    country=country,
                    is_company=True,
                    first=None,
                    last=f"{name} {rng.choice(LEGAL_FORMS[country])}",
                    gender="c",
                    kind="company",
                )
                domain = _ascii_local(name) + rng.choice([".fr", ".com", ".de", ".co.uk"])
                while f"contact@{domain}" in self.used:  # a namesake company has its own
                    domain = f"{rng.randint(1, 99)}{domain}"
                self.used.add(f"contact@{domain}")
                company.emails.append(f"contact@{domain}")
                company.phones.append(self._mobile(country, landline=True))
                company.addresses.append(employee.addresses[0])
                employee.kind = "employee"
                if rng.random() < 0.5:
                    employee.phones.append(company.phones[0])
                if rng.random() < 0.5:
                    employee.emails.append(f"{_ascii_local(employee.first)}@{domain}")
            else:
                self._person()
        return self.entities

    # --- records -----------------------------------------------------------
    def records(self, mean_records=2.1):
        """Return the typed records of every entity: dicts of raw values with
        ``entity`` (the truth) and ``channel``, shuffled into arrival order."""
        rng = self.rng
        records = []
        for entity in self.entities:
            count = 1
            while rng.random() < 1 - 1 / mean_records and count < 8:
                count += 1
            for index in range(count):
                records.append(self._record(entity, index))
        rng.shuffle(records)
        return records

    def _record(self, entity, index):
        rng = self.rng
        channel = "web" if entity.is_company else rng.choices(CHANNELS, weights=[5, 3, 2])[0]
        country = entity.country
        later = index > 0
        values = {"entity": entity.id, "channel": channel, "kind": entity.kind}
        values["is_company"] = entity.is_company
        values["name"] = self._type_name(entity)
        email = self._pick(entity.emails, later)
        phone = self._pick(entity.phones, later)
        address = self._pick(entity.addresses, later)
        if channel == "web":
            values["email"] = self._type_email(email)
            if rng.random() < 0.6:
                values["phone"] = self._type_phone(phone, country)
            values.update(self._type_address(address, country))
        elif channel == "pos":
            if rng.random() < 0.08 and not entity.is_company:  # the clerk's shortcut
                phone = rng.choice(self.switchboards)
            values["phone"] = self._type_phone(phone, country)
            if rng.random() < 0.35:
                values["email"] = self._type_email(email)
            if rng.random() < 0.3:
                values.update(self._type_address(address, country))
        else:  # marketplace: relay address, the street arrives with the order
            values["email"] = f"{entity.relay}@relay.marketplace.example"
            values["email_is_relay"] = True
            if rng.random() < 0.85:
                values.update(self._type_address(address, country))
            if rng.random() < 0.3:
                values["phone"] = self._type_phone(phone, country)
        values["default_country"] = country
        return values

    def _pick(self, values, later):
        # The first record uses the main identifier, later ones sometimes another.
        if not later or len(values) == 1 or self.rng.random() < 0.5:
            return values[0]
        return self.rng.choice(values[1:])

    # --- typing noise ------------------------------------------------------
    def _typo(self, word):
        rng = self.rng
        if len(word) < 4:
            return word
        i = rng.randrange(1, len(word) - 1)
        op = rng.choice(["swap", "drop", "double", "replace"])
        if op == "swap":
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if op == "drop":
            return word[:i] + word[i + 1 :]
        if op == "double":
            return word[:i] + word[i] + word[i:]
        return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]

    def _strip_accents(self, text):
        text = unicodedata.normalize("NFKD", text)
        return "".join(c for c in text if not unicodedata.combining(c))

    def _type_name(self, entity):
        rng = self.rng
        if entity.is_company:
            name = entity.last
            if rng.random() < 0.3:
                name = name.rsplit(" ", 1)[0]  # legal form left out
            return name.upper() if rng.random() < 0.2 else name
        first, last = entity.first, entity.last
        if first in NICKNAMES and rng.random() < 0.15:
            first = rng.choice(NICKNAMES[first])
        if rng.random() < 0.06:
            first = self._typo(first)
        if rng.random() < 0.06:
            last = self._typo(last)
        if rng.random() < 0.3:
            first, last = self._strip_accents(first), self._strip_accents(last)
        if rng.random() < 0.03:
            first = first[0] + "."
        if rng.random() < 0.2:
            last = last.upper()
        if rng.random() < 0.05:
            first = first.lower()
            last = last.lower()
        name = f"{last} {first}" if rng.random() < 0.12 else f"{first} {last}"
        if rng.random() < 0.05:
            name = f"{last}, {first}"
        if rng.random() < 0.04:
            title = {"m": ["M.", "Mr", "Herr"], "f": ["Mme", "Mrs", "Frau"]}[entity.gender]
            name = f"{rng.choice(title)} {name}"
        return name

    def _type_email(self, email):
        rng = self.rng
        local, domain = email.split("@")
        if domain == "gmail.com":
            if rng.random() < 0.2 and len(local) > 3:
                i = rng.randrange(1, len(local) - 1)
                local = local[:i] + "." + local[i:]
            if rng.random() < 0.15:
                local += "+" + rng.choice(["shop", "promo", "orders"])
        if rng.random() < 0.1:
            local = local.capitalize()
        return f" {local}@{domain}" if rng.random() < 0.02 else f"{local}@{domain}"

    def _type_phone(self, phone, country):
        rng = self.rng
        code, trunk = DIAL[country]
        national = phone[len(code) :] if phone.startswith(code) else phone
        style = rng.choice(["e164", "national", "spaced", "dotted", "intl00"])
        if not phone.startswith(code):
            return phone
        if style == "e164":
            return phone
        if style == "intl00":
            return "00" + phone[1:]
        digits = trunk + national
        if style == "national":
            return digits
        pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
        return (" " if style == "spaced" else ".").join(pairs)

    def _type_address(self, address, country):
        rng = self.rng
        number, kind, street, city, zip_code = address
        kind_typed = {
            "rue": ["rue", "Rue", "r.", "RUE"],
            "avenue": ["avenue", "av.", "Av", "ave"],
            "boulevard": ["boulevard", "bd", "Bd.", "blvd"],
            "place": ["place", "pl."],
            "Street": ["Street", "St", "St.", "street"],
            "Road": ["Road", "Rd", "rd."],
            "Avenue": ["Avenue", "Ave"],
            "Lane": ["Lane", "Ln"],
            "straße": ["straße", "strasse", "str."],
        }.get(kind, [kind])
        kind = rng.choice(kind_typed)
        if country == "FR":
            street_line = f"{number} {kind} {street}"
            if rng.random() < 0.15:
                street_line = f"{number}, {kind} {street}"
        elif country == "GB":
            street_line = f"{number} {street} {kind}"
        else:
            glue = "" if kind.startswith("str") and not street.endswith(" ") else " "
            street_line = f"{street}{glue}{kind} {number}".replace("  ", " ")
        if rng.random() < 0.25:
            street_line = self._strip_accents(street_line)
        if rng.random() < 0.1:
            street_line = street_line.upper()
        if rng.random() < 0.04:
            words = street_line.split()
            j = rng.randrange(len(words))
            words[j] = self._typo(words[j])
            street_line = " ".join(words)
        if rng.random() < 0.2:
            zip_code = zip_code.replace(" ", "") if " " in zip_code else zip_code
        if country == "FR" and rng.random() < 0.1:
            zip_code = zip_code[:2] + " " + zip_code[2:]
        typed_city = city
        if rng.random() < 0.2:
            typed_city = city.upper()
        if "Saint" in city and rng.random() < 0.5:
            typed_city = city.replace("Saint-", "St ").replace("Saint", "St")
        values = {"street": street_line, "zip": zip_code, "city": typed_city}
        if rng.random() < 0.8:
            values["country_code"] = country
        if rng.random() < 0.1:
            values["street2"] = rng.choice(["Bât. B", "Apt 4", "2e étage", "Flat 3"])
        return values
