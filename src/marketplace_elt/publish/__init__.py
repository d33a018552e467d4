"""Publishing: what readers see changes only here, after the checks of what was built passed."""

from marketplace_elt.publish.marts import MartsPublisher, PublishResult, prepare, publish, published_models, rollback

__all__ = ["MartsPublisher", "PublishResult", "prepare", "publish", "published_models", "rollback"]
