"""The campaign's admin change form as a browser posts it, with one placement row."""


def campaign_change_form(campaign, placement, **row) -> dict:
    """The campaign's fields as they are and its one placement row, `row` changing that row."""
    data = {
        "name": campaign.name,
        "slug": campaign.slug,
        "status": campaign.status,
        "starts_on": campaign.starts_on.isoformat(),
        "reach_target": campaign.reach_target,
        "hero_title": campaign.hero_title,
        "cta_label": campaign.cta_label,
        "cta_label_en": campaign.cta_label_en,
        "primary_color": campaign.primary_color,
        "accent_color": campaign.accent_color,
        "placements-TOTAL_FORMS": "1",
        "placements-INITIAL_FORMS": "1",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
        "placements-0-id": placement.pk,
        "placements-0-campaign": campaign.pk,
        "placements-0-channel": placement.channel,
        "placements-0-place_name": placement.place_name,
        "placements-0-declared_audience": placement.declared_audience,
    }
    data.update({f"placements-0-{key}": value for key, value in row.items()})
    return data
