"""Refit ``salience.json``, the country tagger's salience model (offline; needs numpy).

Usage, from the repository root::

    python pipeline/tagging/data/countries/fit_salience.py DATA.jsonl [--gold-field F]
        [--part even|odd|all] [--l2 1.0]

Salience is the probability, from a logistic model over the features in
:data:`pipeline.tagging.countries.FEATURES` (how, where and how often the
article names the country, relative to the other countries it names), that an
editor would label the article with the country. The model is fitted by
L2-regularised Newton iterations on (article, named country) pairs: the label
is 1 when the country is in the record's gold field. ``--part even`` keeps the
records with an even ``id`` (leave the odd ones to check the fit).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np

from pipeline.tagging.countries import FEATURES, CountryTagger

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Fit the model on the chosen records and write salience.json."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path)
    parser.add_argument("--gold-field", default="countries_modern")
    parser.add_argument("--part", choices=("even", "odd", "all"), default="even")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--skip", action="append", default=[], help="a country code whose pairs are not used"
    )
    args = parser.parse_args()
    path = HERE / "salience.json"
    current = json.loads(path.read_text(encoding="utf-8"))
    if current["features"] != list(FEATURES):  # the features changed: start from zeros
        current.update(features=list(FEATURES), weights=[0.0] * len(FEATURES))
        path.write_text(json.dumps(current, indent=1) + "\n", encoding="utf-8")
    tagger = CountryTagger.build()
    rows: list[list[float]] = []
    labels: list[float] = []
    used = 0
    with args.data.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if args.part != "all" and record["id"] % 2 != (0 if args.part == "even" else 1):
                continue
            used += 1
            gold = set(record[args.gold_field])
            features, _ = tagger._features(record["title"], record["body"])
            for code, x in features.items():
                if code in args.skip:
                    continue
                rows.append(x)
                labels.append(1.0 if code in gold else 0.0)
    x_mat = np.array(rows)
    y = np.array(labels)
    w = np.zeros(x_mat.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-x_mat @ w))
        grad = x_mat.T @ (p - y) + args.l2 * w
        hess = (x_mat * (p * (1 - p))[:, None]).T @ x_mat + args.l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    model = {
        "version": date.today().isoformat(),
        "about": "Logistic model of salience: P(an editor labels the article with the "
        "country | features). Refit with fit_salience.py.",
        "trained_on": f"{args.data.name} ({args.part} ids: {used} articles, {len(y)} pairs), "
        f"gold field {args.gold_field}, l2 {args.l2}, skipped {args.skip}",
        "features": list(FEATURES),
        "weights": [round(float(v), 5) for v in w],
    }
    (HERE / "salience.json").write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model["weights"]))


if __name__ == "__main__":
    main()
