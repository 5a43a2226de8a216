# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/gemini_omni_flash_video_gen.ipynb
# Code cells 12, 16, 40, 42, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), interactions, base64, show_video (records instead of displaying), image files the wget cells download.

# --- cell 12 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "global")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 16 ---
omni_model = "gemini-omni-flash-preview"

# --- cell 40 ---
prompt1 = "A claymation explainer of Newton's First Law of Motion, everything is made out of clay, no hands, stop motion, sync character's words to mouth movements, show a cute ball character moving and then being stopped by a wall"

interaction1 = client.interactions.create(
    model=omni_model,
    input=prompt1,
)

contents = []
for step in interaction1.steps:
  if step.type == "model_output":
    contents.extend(step.content)

show_video(contents[0].data)

# --- cell 42 ---
prompt2 = "Now make the same video in a doodle style."

turn2_input = interaction1.steps + [
    {
      "type": "user_input",
      "content": [
        {
          "type": "text",
          "text": prompt2
        }
      ]
    }
]

interaction2 = client.interactions.create(
    model=omni_model,
    input=turn2_input,
)

contents = []
for step in interaction2.steps:
  if step.type == "model_output":
    contents.extend(step.content)

show_video(contents[0].data)
