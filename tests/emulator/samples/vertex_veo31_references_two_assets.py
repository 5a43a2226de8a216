# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/veo3_reference_to_video.ipynb
# Code cells 11, 15, 21, 23, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), types, time (sleeps shortened), show_video (records the video instead of displaying it), image files the wget cells download.
# Cell 21 also plots the images; only its file-name lines run.

# --- cell 11 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "us-central1")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 15 ---
video_model = "veo-3.1-generate-preview"
video_model_fast = "veo-3.1-fast-generate-preview"

# --- cell 21 ---
first_image = "man-in-field.png"  # @param {type: 'string'}
second_image = "woman.jpeg"  # @param {type: 'string'}

# --- cell 23 ---
prompt = """
a woman and a man drinking a cup of coffee in a cafe, chatting about the new restaurant around the block
"""

operation = client.models.generate_videos(
    model=video_model_fast,
    prompt=prompt,
    config=types.GenerateVideosConfig(
        reference_images=[
            types.VideoGenerationReferenceImage(
                image=types.Image.from_file(location=first_image),
                reference_type="asset",
            ),
            types.VideoGenerationReferenceImage(
                image=types.Image.from_file(location=second_image),
                reference_type="asset",
            ),
        ],
        aspect_ratio="16:9",
        number_of_videos=1,
        duration_seconds=8,
        resolution="1080p",
        person_generation="allow_adult",
        generate_audio=True,
    ),
)

while not operation.done:
    time.sleep(15)
    operation = client.operations.get(operation)
    print(operation)

if operation.response:
    show_video(operation.result.generated_videos[0].video.video_bytes)
