"""The end-to-end test stories (tests/bot/test_stories.yml) pass with `rasa test` on the trained model."""
import pytest
import yaml

from devtools.nlu_eval import TEST_STORIES, evaluate_stories


def test_there_are_at_least_thirty_test_stories():
    assert len(yaml.safe_load(TEST_STORIES.read_text())["stories"]) >= 30


@pytest.mark.rasa
@pytest.mark.slow
def test_every_test_story_passes(rasa_stack, tmp_path):
    result = evaluate_stories(rasa_stack.model, out=tmp_path, stack=rasa_stack)
    assert result["passed"], result["failed"]
