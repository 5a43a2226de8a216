# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/gemini_omni_flash_video_gen.ipynb
# Code cells 12, 16, 33, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), interactions, time (sleeps shortened), base64, show_video (records instead of displaying), image files the wget cells download.

# --- cell 12 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "global")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 16 ---
omni_model = "gemini-omni-flash-preview"

# --- cell 33 ---
import time

prompt = "Raw cookie ingredients beautifully laid out on a kitchen counter. The view glides smoothly from one ingredient to the next. As each individual ingredient fills the view, a sleek 3D text graphic pops up to label it. The sequence finishes by resting intimately on the rich textures and details of the final ingredient after the label disappears."

initial_interaction = client.interactions.create(
    model=omni_model,
    input=prompt,
    background=True,
)
interaction = initial_interaction

while interaction.status not in ["completed", "failed"]:
    print(f"Current Status: {interaction.status}")
    time.sleep(10)
    interaction = client.interactions.get(id=initial_interaction.id)

if interaction.status == "completed":
    contents = []
    steps = getattr(interaction, "steps", []) or []
    for step in steps:
        if step.type == "model_output":
            contents.extend(step.content)
    show_video(contents[0].data)
else:
    print(f"Status: {interaction.status}")
