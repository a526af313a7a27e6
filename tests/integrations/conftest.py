from tests.integrations.helpers import knowledge_copy, workflow, workflow_kb  # noqa: F401  (fixtures)
