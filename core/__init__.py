"""Infrastructure every app may use: typed requests, query-string parsing, version
tokens for cached fragments, hand-written row reads, names and money. It imports no
Runway app, so dependencies run one way: core <- projects <- assessments <- metrics
<- portal."""
