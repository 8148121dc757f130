"""Dutch Presidio recognizers, one per file; ``build_recognizers()`` is the registry.

Adding a recognizer: its own file, one line in ``NL_RECOGNIZERS`` and a test table.
"""

from __future__ import annotations

from typing import List

from presidio_analyzer import EntityRecognizer

from guardrails.recognizers.deduce_recognizer import DeduceRecognizer
from guardrails.recognizers.email_recognizer import OfflineEmailRecognizer
from guardrails.recognizers.health_data_recognizer import HealthDataRecognizer
from guardrails.recognizers.nl_address_recognizer import NlAddressRecognizer
from guardrails.recognizers.nl_bsn_recognizer import NlBsnRecognizer
from guardrails.recognizers.nl_date_recognizer import NlDateRecognizer
from guardrails.recognizers.nl_iban_recognizer import NlIbanRecognizer
from guardrails.recognizers.nl_organization_recognizer import NlOrganizationRecognizer
from guardrails.recognizers.nl_phone_recognizer import NlPhoneFormatRecognizer, NlPhoneRecognizer
from guardrails.recognizers.nl_postcode_recognizer import NlPostcodeRecognizer

# Every recognizer class of the project, in registry order.
NL_RECOGNIZERS = [
    NlBsnRecognizer,
    NlPhoneRecognizer,
    NlPhoneFormatRecognizer,
    NlIbanRecognizer,
    NlPostcodeRecognizer,
    NlDateRecognizer,
    NlAddressRecognizer,
    NlOrganizationRecognizer,
    OfflineEmailRecognizer,
    DeduceRecognizer,
    HealthDataRecognizer,
]


def build_recognizers(*, include_health: bool = True, language: str = "nl") -> List[EntityRecognizer]:
    """Instantiate every project recognizer for ``language``.

    Args:
        include_health: Add the HEALTH_DATA recognizer.
        language: Presidio language code.

    Returns:
        Recognizer instances ready for a ``RecognizerRegistry``.
    """
    return [
        cls(supported_language=language)
        for cls in NL_RECOGNIZERS
        if include_health or cls is not HealthDataRecognizer
    ]


__all__ = [
    "NL_RECOGNIZERS",
    "build_recognizers",
    "DeduceRecognizer",
    "HealthDataRecognizer",
    "NlAddressRecognizer",
    "NlBsnRecognizer",
    "NlDateRecognizer",
    "NlIbanRecognizer",
    "NlOrganizationRecognizer",
    "NlPhoneFormatRecognizer",
    "NlPhoneRecognizer",
    "NlPostcodeRecognizer",
    "OfflineEmailRecognizer",
]
