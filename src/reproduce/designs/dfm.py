"""The DFM checklist for small series (seed guide, Annex A.1), question by question.

Codes are stable (answers are stored against them); texts are translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Question:
    code: str
    section: str
    text: Promise | str


SECTIONS: dict[str, Promise] = {
    "materials": _("Materials"),
    "geometry": _("Geometry and shape"),
    "assembly": _("Assembly"),
    "production": _("Production process"),
}

QUESTIONS: tuple[Question, ...] = (
    Question(
        "materials.compatible",
        "materials",
        _(
            "Are the chosen materials compatible with the intended equipment (the fablab's 3D "
            "printers, the partner workshop's CNC)?"
        ),
    ),
    Question(
        "materials.available",
        "materials",
        _("Are they easy to find in small quantities in Brussels or from reachable suppliers?"),
    ),
    Question(
        "materials.cost",
        "materials",
        _("Is their cost compatible with the target selling price of a small series?"),
    ),
    Question(
        "materials.properties",
        "materials",
        _("Do their properties (strength, flexibility, appearance) suit the product's final use?"),
    ),
    Question(
        "materials.circularity",
        "materials",
        _("Were circular options (recycled, recyclable, bio-based) considered?"),
    ),
    Question(
        "geometry.complexity",
        "geometry",
        _(
            "Is the parts' complexity justified, or can it be simplified without harming "
            "function or look?"
        ),
    ),
    Question(
        "geometry.tolerances",
        "geometry",
        _("Can the required tolerances be reached with the available equipment and skills?"),
    ),
    Question(
        "geometry.process_rules",
        "geometry",
        _(
            "Are angles, radii and wall thicknesses suited to the chosen process (no walls too "
            "thin for FDM printing, radii for CNC milling)?"
        ),
    ),
    Question(
        "geometry.part_count",
        "geometry",
        _("Is the number of distinct parts kept to a minimum?"),
    ),
    Question(
        "assembly.simple",
        "assembly",
        _("Is the assembly process simple and intuitive?"),
    ),
    Question(
        "assembly.steps",
        "assembly",
        _("Is the number of assembly steps kept to a minimum?"),
    ),
    Question(
        "assembly.fasteners",
        "assembly",
        _(
            "Are the fasteners standard and easy to handle (screws rather than complex glueing "
            "where possible, for repairability)?"
        ),
    ),
    Question(
        "assembly.guides",
        "assembly",
        _("Are guides or foolproofing features provided to align the parts?"),
    ),
    Question(
        "assembly.access",
        "assembly",
        _("Is access easy for assembly, maintenance and repair?"),
    ),
    Question(
        "production.tooling",
        "production",
        _("Does the design avoid costly dedicated tooling?"),
    ),
    Question(
        "production.cycle_time",
        "production",
        _("Is the estimated manufacturing cycle time per part acceptable for a small series?"),
    ),
    Question(
        "production.post_processing",
        "production",
        _("Are post-processing operations (sanding, painting…) minimised or simplified?"),
    ),
    Question(
        "production.inspection",
        "production",
        _("Does the design allow easy quality inspection at key steps?"),
    ),
)

QUESTION_CODES: tuple[str, ...] = tuple(q.code for q in QUESTIONS)
BY_CODE: dict[str, Question] = {q.code: q for q in QUESTIONS}
