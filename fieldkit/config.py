"""The engineer's settings: a small YAML file at `paths.config_file()` (or FIELDKIT_CONFIG).

```yaml
engineer: 李工        # the default for `fieldkit run --engineer`
```
A missing file means no settings; a broken one is an error with its file:line:col.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from fieldkit import paths, yamlsafe


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    engineer: str | None = Field(
        default=None, min_length=1, description="Your name, as records show it"
    )


def load_config() -> Config:
    """The user's settings, or the defaults when there is no config file."""
    path = paths.config_file()
    if not path.exists():
        return Config()
    loaded = yamlsafe.load_yaml(path)
    if loaded.data is None:  # an empty file
        return Config()
    return yamlsafe.validate(loaded, Config)
