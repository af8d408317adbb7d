"""Tests that start the back-office's processes their own way (observed with fast retries, traced to a
collector, payroll workers scaled out and killed), each module with its own database and processes.

They live apart from tests/e2e, whose one distributed deployment serves all of its modules: deployments on the
same broker share its topics and consumer groups, so two running at once would split each group's partitions
between them. tests/e2e's deployment is stopped when its package ends, before these start."""
