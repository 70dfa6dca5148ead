"""`--redact`: mask customer names, contacts, addresses and IP addresses in an export.

What is masked, everywhere in the file (cells, free-text notes, ping JSON, follow-ups):
- every visit's customer -> `CUSTOMER-001`, its site -> `ADDRESS-001`;
- contact names: the answers of contact steps (`CONTACT_STEP_IDS`) and every signature
  (the signer is the customer's person) -> `CONTACT-001`;
- IPv4 addresses -> `IP-001` (subnet masks such as 255.255.255.0 are kept: they say nothing
  about the customer);
- phone numbers (mainland mobile and landline forms) -> `PHONE-001`, e-mail addresses ->
  `EMAIL-001`.
The same value gets the same token within one export, so counts per customer still add up.
Names are learnt from every record first (`learn_values`), so a note in one visit that mentions the
customer of another visit is masked too. Free text that names someone fieldkit never saw as a
customer, site or contact cannot be recognised: review such reports before they leave.
Engineer names are kept: they are the centre's own staff and the point of the per-engineer table.
"""

from __future__ import annotations

import re
from typing import Any

from fieldkit.records.models import VisitRecord

CONTACT_STEP_IDS = frozenset({"contact_person"})

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")
# Linear on any text: an address starts where a run of its characters starts (the look-behind
# fails at once inside a run) and every part is bounded (RFC 5321: 64 before the @, 63 a label).
# `[\w.+-]+@` alone was retried from every character of a long run: quadratic on a long answer.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_TOKEN = re.compile(r"^(?:CUSTOMER|ADDRESS|CONTACT|IP|PHONE|EMAIL)-\d{3,}$")


def _is_netmask(text: str) -> bool:
    octets = text.split(".")
    if octets[0] != "255" or any(int(octet) > 255 for octet in octets):
        return False
    bits = "".join(f"{int(octet):08b}" for octet in octets)
    return "01" not in bits


class Redactor:
    """Learns the sensitive values of every record, then masks any text or JSON value."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None

    def _token_for(self, value: str, prefix: str) -> str:
        token = self._tokens.get(value)
        if token is None:
            self._counters[prefix] = self._counters.get(prefix, 0) + 1
            token = f"{prefix}-{self._counters[prefix]:03d}"
            self._tokens[value] = token
            self._pattern = None
        return token

    def learn_values(self, values: list[tuple[str, str]]) -> None:
        """Learn `sensitive_values` of a record (made where the record was read)."""
        for value, prefix in values:
            value = value.strip()
            if value and not _TOKEN.match(value):
                self._token_for(value, prefix)

    def text(self, value: str) -> str:
        """`value` with every known name, address, IP, phone and e-mail masked."""
        if not value:
            return value
        exact = self._tokens.get(value.strip())
        if exact is not None:
            return exact
        if self._pattern is None:
            names = sorted(self._tokens, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(name) for name in names) or "(?!)")
        masked = self._pattern.sub(lambda match: self._tokens[match.group(0)], value)
        masked = _IPV4.sub(self._ip, masked)
        masked = _PHONE.sub(lambda match: self._token_for(match.group(0), "PHONE"), masked)
        return _EMAIL.sub(lambda match: self._token_for(match.group(0), "EMAIL"), masked)

    def _ip(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if _is_netmask(text) or any(int(octet) > 255 for octet in text.split(".")):
            return text
        return self._token_for(text, "IP")

    def cell(self, value: Any) -> Any:
        return self.text(value) if isinstance(value, str) else value

    def deep(self, value: Any) -> Any:
        """A JSON-like value with every string (keys included) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.deep(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.deep(item) for key, item in value.items()}
        return value


def sensitive_values(record: VisitRecord) -> list[tuple[str, str]]:
    """(value, token prefix) of every name a record holds that `--redact` must mask."""
    values = [(record.customer, "CUSTOMER")]
    if record.site:
        values.append((record.site, "ADDRESS"))
    for answer in record.answers:
        if answer.step_id in CONTACT_STEP_IDS or answer.step_type == "signature":
            values.extend(
                (text, "CONTACT") for text in _strings(answer.value) if not _looks_like_time(text)
            )
    return values


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


_TIME_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _looks_like_time(text: str) -> bool:
    return bool(_TIME_LIKE.match(text))
