"""Pure normalisation and validation of the values the registry receives.

Every function is pure (no I/O; the clock is read only when ``today`` is not passed) and
raises :class:`NormalizationError` with a field, the raw value, a human reason and a
machine code, so an API can answer with a FastAPI-shaped 422 item (see
``NormalizationError.to_detail``). Rules and canonical forms: docs/normalisation.md.
"""

from shared.normalize.dates import DateOfBirth, Precision, parse_date_of_birth
from shared.normalize.errors import NormalizationError
from shared.normalize.gender import Gender, normalize_gender
from shared.normalize.identifiers import Nid, nid_birth_year, normalize_brn, normalize_nid
from shared.normalize.names import HONORIFICS, Script, detect_script, name_match_key, normalize_person_name
from shared.normalize.phone import PHONE_PATTERN, normalize_phone
from shared.normalize.text import normalize_bangla_text, strip_invisible

__all__ = [
    "HONORIFICS",
    "PHONE_PATTERN",
    "DateOfBirth",
    "Gender",
    "Nid",
    "NormalizationError",
    "Precision",
    "Script",
    "detect_script",
    "name_match_key",
    "nid_birth_year",
    "normalize_bangla_text",
    "normalize_brn",
    "normalize_gender",
    "normalize_nid",
    "normalize_person_name",
    "normalize_phone",
    "parse_date_of_birth",
    "strip_invisible",
]
