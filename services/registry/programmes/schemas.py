from pydantic import BaseModel, ConfigDict


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_bn: str
    name_en: str
    ministry_code: str


CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,31}$"
