"""The base of the staff API's viewsets."""

from rest_framework import mixins, serializers, viewsets

from core.api.filters import FILTER_BACKENDS


class NoDeleteModelViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and change; DELETE answers 405 (records are deactivated, not deleted).

    The serializer's create() and update() call the app's services; after
    them the row is read again through get_queryset(), so the answer carries
    the same annotations as the list.
    """

    filter_backends = FILTER_BACKENDS

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)
