"""Dutch phone number recognizer (python-phonenumbers, region NL)."""

from __future__ import annotations

from typing import List, Optional

from presidio_analyzer.predefined_recognizers import PhoneRecognizer


class NlPhoneRecognizer(PhoneRecognizer):
    """Recognize Dutch phone numbers with Presidio's ``PhoneRecognizer`` limited to region NL.

    Presidio's default regions do not include NL, so "06-12345678" is missed by the built-in
    setup. Parsing and validation come from python-phonenumbers (leniency 1: valid numbers only),
    which accepts the usual Dutch notations.
    Examples (fictitious): 06-12345678, 06 1234 5678, +31 6 12345678, 0031 6 12345678,
    020-1234567, 010 123 4567, (030) 2345678

    Args:
        context: Override the Dutch context words.
        supported_language: Language code (default "nl").
        supported_entity: Entity name (default "PHONE_NUMBER").
        supported_regions: phonenumbers regions (default ``("NL",)``).
        leniency: phonenumbers leniency (0 lenient .. 3 strict).
        name: Recognizer name.
    """

    CONTEXT = ["telefoon", "telefoonnummer", "tel", "mobiel", "gsm", "bel", "bellen", "gebeld", "nummer",
               "bereikbaar", "whatsapp", "sms"]

    def __init__(
        self,
        context: Optional[List[str]] = None,
        supported_language: str = "nl",
        supported_entity: str = "PHONE_NUMBER",
        supported_regions=("NL",),
        leniency: Optional[int] = 1,
        name: Optional[str] = None,
    ):
        super().__init__(
            context=context if context else self.CONTEXT,
            supported_language=supported_language,
            supported_entity=supported_entity,
            supported_regions=supported_regions,
            leniency=leniency,
            name=name or "NlPhoneRecognizer",
        )
