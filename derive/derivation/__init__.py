"""Derivations as data: steps with named rules, each checked numerically."""

from derive.derivation.rules import RULES, Rule
from derive.derivation.steps import Derivation, Domain, Sentence, Step, StepCheck

__all__ = ["RULES", "Derivation", "Domain", "Rule", "Sentence", "Step", "StepCheck"]
