# Source: https://github.com/google-gemini/cookbook/blob/7d0b424b1f6a920d885a76ba91377d7ef3638c10/quickstarts/Get_started_Omni.ipynb
# Code cells deac925ed400, 12dc4e2f2642, bb300f19f34f, 79223d046507 (cell ids), verbatim.
# Copyright Google LLC, licensed under the Apache License, Version 2.0; see README.md here.
# The test supplies: genai (whose Client gets the emulator's base URL), GEMINI_API_KEY (the emulator's key; the notebook reads it from Colab secrets), display and Video (record instead of displaying).
# show_video is the notebook's own helper from cell 74b87e63d451 (it uses display and Video).

# --- cell deac925ed400 ---
client = genai.Client(api_key=GEMINI_API_KEY)

# --- cell 12dc4e2f2642 ---
MODEL_ID = "gemini-omni-1.1-flash"  # @param ["gemini-omni-1.1-flash", "gemini-omni-flash-preview"] {"allow-input": true, "isTemplate": true}

# --- cell 74b87e63d451 (the two helpers show_video needs) ---
def get_output_video(interaction):
    """Retrieve the video part using .output_video or manual traversal."""
    if hasattr(interaction, "output_video") and interaction.output_video:
        return interaction.output_video
    if hasattr(interaction, "steps") and interaction.steps:
        for step in reversed(interaction.steps):
            if step.type == "model_output" and step.content:
                for content in reversed(step.content):
                    if content.type == "video":
                        return content
    return None


def show_video(interaction, width=640):
    """Render a video output inline in Colab using Video()."""
    output = get_output_video(interaction)
    if output is None or not getattr(output, "data", None):
        print("No video content found in interaction.")
        return
    mime = getattr(output, "mime_type", "video/mp4") or "video/mp4"
    display(Video(data=output.data, embed=True, mimetype=mime))

# --- cell bb300f19f34f ---
portrait_prompt = """
    A futuristic cyberpunk street corner at night with glowing neon rain, reflections on
    wet pavement, and flying vehicles passing overhead. Cinematic vertical establishing shot.
"""

interaction_portrait = client.interactions.create(
    model=MODEL_ID,
    input=portrait_prompt,
    response_format={
        "type": "video",  # optionnal
        "aspect_ratio": "9:16",
    },
)

show_video(interaction_portrait, width=360)

# --- cell 79223d046507 ---
# Generate high-resolution (1080p) video with URI delivery
interaction_1080p = client.interactions.create(
    model=MODEL_ID,
    input="A cinematic drone shot gliding smoothly through misty pine mountains at sunrise.",
    response_format={
        "type": "video",
        "resolution": "1080p",  # Supported values: "360p", "720p", "1080p", "4k"
        "delivery": "uri"
    }
)

print(f"1080p Video Requested: {interaction_1080p.id}")
