from pydantic import BaseModel, ConfigDict


class MinistryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_bn: str
    name_en: str
    kind: str
    social_assistance_cluster: bool
