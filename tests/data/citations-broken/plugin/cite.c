/* fine (docs/references.md#here, docs/references.md R1); broken (docs/references.md#gone) */
