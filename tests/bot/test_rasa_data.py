"""`rasa data validate` on the Rasa project in bot/: clean apart from Rasa's known form warnings."""
import re

import pytest

from devtools.rasa_stack import CONFIG_FILE, DATA_PATHS, DOMAIN_PATH, run_rasa

# Rasa 3.6's validator does not know that forms use utter_ask_<slot>, nor that actions send responses.
EXPECTED_WARNING = re.compile(r"The utterance '(utter_ask_\w+|utter_default)' is not used in any story or rule")


@pytest.mark.slow
def test_rasa_data_validate_is_clean():
    result = run_rasa("data", "validate", "--config", CONFIG_FILE, "--domain", DOMAIN_PATH, "--data", *DATA_PATHS,
                      check=False, capture=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = [line for line in output.splitlines() if "UserWarning" in line and "rasa" in line]
    unexpected = [line for line in warnings if not EXPECTED_WARNING.search(line)]
    assert unexpected == [], "\n".join(unexpected)
    assert "No story structure conflicts found" in output
