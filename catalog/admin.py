from django.contrib import admin

from catalog.models import SKU, Attribute, Brand, Category, Product

admin.site.register([Category, Brand, Product, SKU, Attribute])
