"""How English news is read, for the index and for questions alike.

One home for the language rules both sides need: sentences
(:mod:`~index.language.sentences`), names and nationalities
(:mod:`~index.language.names`), roles and titles (:mod:`~index.language.roles`),
people and their identity across articles (:mod:`~index.language.person`,
:mod:`~index.language.directory`), quotes and speech verbs
(:mod:`~index.language.quotes`), who said what
(:mod:`~index.language.attribution`), and dates and datelines
(:mod:`~index.language.dates`).
"""
