# Source: https://github.com/GoogleCloudPlatform/generative-ai/blob/23b75dab2c25248f352d4c39e3c5984398b4b448/vision/getting-started/veo3_reference_to_video.ipynb
# Code cells 11, 15, 37, 39, verbatim (cell numbers count all cells from 0).
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's credentials and base URL), types, time (sleeps shortened), show_video (records the video instead of displaying it), image files the wget cells download.
# Cell 37 downloads the images over HTTP to plot them; only its gs:// lines run.

# --- cell 11 ---
PROJECT_ID = "[your-project-id]"  # @param {type: "string", placeholder: "[your-project-id]", isTemplate: true}
if not PROJECT_ID or PROJECT_ID == "[your-project-id]":
    PROJECT_ID = str(os.environ.get("GOOGLE_CLOUD_PROJECT"))
LOCATION = os.environ.get("GOOGLE_CLOUD_REGION", "us-central1")
client = genai.Client(enterprise=True, project=PROJECT_ID, location=LOCATION)

# --- cell 15 ---
video_model = "veo-3.1-generate-preview"
video_model_fast = "veo-3.1-fast-generate-preview"

# --- cell 37 ---
first_image_gcs = "gs://cloud-samples-data/generative-ai/image/flowers.png"
second_image_gcs = "gs://cloud-samples-data/generative-ai/image/suitcase.png"
third_image_gcs = "gs://cloud-samples-data/generative-ai/image/woman.jpg"

# --- cell 39 ---
# fmt: off
prompt = "a wide shot of a woman wheeling a blue suitcase through a flower field"  # @param {type: 'string'}
# fmt: on
output_gcs = "gs://[your-bucket-path]"  # @param {type: 'string'}

operation = client.models.generate_videos(
    model=video_model,
    prompt=prompt,
    config=types.GenerateVideosConfig(
        reference_images=[
            types.VideoGenerationReferenceImage(
                image=types.Image(gcs_uri=first_image_gcs, mime_type="image/png"),
                reference_type="asset",
            ),
            types.VideoGenerationReferenceImage(
                image=types.Image(gcs_uri=second_image_gcs, mime_type="image/png"),
                reference_type="asset",
            ),
            types.VideoGenerationReferenceImage(
                image=types.Image(gcs_uri=third_image_gcs, mime_type="image/jpeg"),
                reference_type="asset",
            ),
        ],
        output_gcs_uri=output_gcs,
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
    show_video(operation.result.generated_videos[0].video.uri)
