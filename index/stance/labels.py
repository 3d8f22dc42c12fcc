"""Label order of the stance model's output: index i of the logits is LABELS[i]."""

ENTAILMENT = "entailment"
NEUTRAL = "neutral"
CONTRADICTION = "contradiction"
LABELS = (ENTAILMENT, NEUTRAL, CONTRADICTION)
# a two-way training label: neutral or contradiction, not which (DocNLI); never a model output
NOT_ENTAILMENT = "not_entailment"
