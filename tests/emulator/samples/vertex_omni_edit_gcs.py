# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/gemini_omni_flash_video_gen.ipynb
# Code cells 12, 16, 36, 38, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), interactions, base64, show_video (records instead of displaying), image files the wget cells download.
# Cell 36 copies the inputs with gcloud and displays them; only its gs:// lines run.

# --- cell 12 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "global")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 16 ---
omni_model = "gemini-omni-flash-preview"

# --- cell 36 ---
video_uri = "gs://cloud-samples-data/generative-ai/video/dog_day1.mp4"
image_uri = "gs://cloud-samples-data/generative-ai/image/chair-cat.png"

# --- cell 38 ---
prompt = "Change the dog to the cat. Remove the backpack and add a propeller hat. Change the tennis balls to balls of yarn."
interaction = client.interactions.create(
    model=omni_model,
    input=[
        {"type": "text", "text": prompt},
        {"type": "image", "mime_type": "image/png", "uri": image_uri},
        {"type": "video", "mime_type": "video/mp4", "uri": video_uri},
    ],
    generation_config=interactions.GenerationConfig(
        video_config=interactions.VideoConfig(
            task="edit"
        )
    ),
)

contents = []
for step in interaction.steps:
  if step.type == "model_output":
    contents.extend(step.content)

show_video(contents[0].data)
