"""The company's rules as alerts (issue 18, point 3): rules are rows an admin edits (``rules``), each
rule kind one declared evaluator (``engine.KINDS``), each occurrence an alert with its state and
history, seen by a viewer only within their scope."""
