"""The desk service: every action on the desk is one use case here, checked once, in one
transaction; the app and the command line only adapt it."""

from eventrisk.desk.readmodel import AssessmentState
from eventrisk.desk.service import (
    ConfirmationNeeded,
    Desk,
    PossibleDuplicate,
    PromoterDetailsChanged,
)
from eventrisk.pg import SignInNeededError  # a server that asks for the person's own login

__all__ = ["AssessmentState", "ConfirmationNeeded", "Desk", "PossibleDuplicate",
           "PromoterDetailsChanged", "SignInNeededError"]
