# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/veo3_advanced_controls.ipynb
# Code cells 12, 16, 19, 21, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), types, time (sleeps shortened), show_video (records the video instead of displaying it), image files the wget cells download.
# Cell 19 downloads the frames with wget and plots them; only its file-name lines run.

# --- cell 12 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "us-central1")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 16 ---
video_model = "veo-3.1-generate-001"
video_extension_model = "veo-3.1-generate-preview"

# --- cell 19 ---
first_frame = "cookies.png"  # @param {type: 'string'}
last_frame = "cookies-milk.png"  # @param {type: 'string'}

# --- cell 21 ---
# fmt: off
prompt = "a hand reaches in and places a glass of milk next to the plate of cookies"  # @param {type: 'string'}
# fmt: on

operation = client.models.generate_videos(
    model=video_model,
    prompt=prompt,
    image=types.Image.from_file(location=first_frame),
    config=types.GenerateVideosConfig(
        last_frame=types.Image.from_file(location=last_frame),
        aspect_ratio="9:16",
        resolution="1080p",
        number_of_videos=1,
        duration_seconds=8,
        person_generation="allow_adult",
        generate_audio=True,
    ),
)

while not operation.done:
    time.sleep(10)
    operation = client.operations.get(operation)
    print(operation)

if operation.response:
    show_video(operation.result.generated_videos[0].video.video_bytes)
