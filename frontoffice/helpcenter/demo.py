"""Demo help center: a few categories and fifteen published articles in English and Swedish."""

from django.contrib.auth import get_user_model

from frontoffice.helpcenter import services
from frontoffice.helpcenter.models import Article, ArticleCategory

CATEGORIES = [
    ("account", "Your account", "Signing in, passwords and your colleagues' access.", "person-lock"),
    ("billing", "Invoices and payment", "Invoices, payment terms, credit and invoice addresses.", "receipt"),
    ("delivery", "Orders and delivery", "Delivery times, tracking and changing an order.", "truck"),
    ("returns", "Returns and complaints", "Returning goods, faulty deliveries and refunds.", "arrow-return-left"),
    ("api", "API and integrations", "Connecting your systems to ours.", "braces"),
]

# (slug, category, language, title, body)
ARTICLES = [
    (
        "reset-your-password",
        "account",
        "en",
        "Reset your password",
        """If you have forgotten your password, you can choose a new one yourself in a minute.

1. Go to the sign-in page and click **Forgot your password?**
2. Enter the e-mail address you sign in with.
3. Open the e-mail we send you and click the link. It is valid for three days.
4. Choose a new password of at least 10 characters.

## The e-mail does not arrive

- Look in your spam or junk folder.
- Check that you typed the address you were invited with; colleagues often have several.
- Company mail filters sometimes hold messages for a few minutes. Wait, then try again.

Still stuck? Send us a request and we will help you sign in.""",
    ),
    (
        "aterstall-ditt-losenord",
        "account",
        "sv",
        "Återställ ditt lösenord",
        """Har du glömt ditt lösenord kan du själv välja ett nytt på en minut.

1. Gå till inloggningssidan och klicka på **Glömt lösenordet?**
2. Fyll i e-postadressen du loggar in med.
3. Öppna mejlet vi skickar och klicka på länken. Den gäller i tre dagar.
4. Välj ett nytt lösenord med minst 10 tecken.

## Mejlet kommer inte fram

- Titta i skräpposten.
- Kontrollera att du skrev adressen du blev inbjuden med.
- Företagets e-postfilter håller ibland kvar meddelanden några minuter. Vänta och försök igen.""",
    ),
    (
        "invite-a-colleague-to-the-portal",
        "account",
        "en",
        "Invite a colleague to the portal",
        """Everyone at your company can have their own login to the customer portal: they then see
your organization's orders, invoices and requests.

Ask your contact person at Kontor to send an invitation, or send us a request with your
colleague's **name** and **e-mail address**. The invitation link is personal and is valid for
three days.

> For your security we never share one login between several people.""",
    ),
    (
        "understand-your-invoice",
        "billing",
        "en",
        "Understand your invoice",
        """Every invoice shows:

| Part | What it means |
|:--|:--|
| Invoice number | Quote it when you pay or contact us |
| Due date | The last day to pay, per your payment terms |
| OCR / reference | Use it as the payment reference so the payment is matched automatically |
| VAT | Shown per rate (25 %, 12 %, 6 %) |

Invoices are sent by e-mail as PDF, and you also find them on the portal under **Invoices**.""",
    ),
    (
        "forsta-din-faktura",
        "billing",
        "sv",
        "Så läser du din faktura",
        """På varje faktura finns:

- **Fakturanummer**: ange det när du betalar eller kontaktar oss.
- **Förfallodag**: sista dag att betala enligt era betalningsvillkor.
- **OCR-nummer**: använd det som referens så matchas betalningen automatiskt.
- **Moms**: redovisad per momssats (25 %, 12 %, 6 %).

Fakturor skickas som PDF via e-post och finns också i portalen under **Fakturor**.""",
    ),
    (
        "change-your-invoice-address",
        "billing",
        "en",
        "Change your invoice address",
        """To have invoices sent somewhere else (another e-mail address, a scanning service or a
PEPPOL address), send us a request with:

- your organization number,
- the new invoice address,
- from which date it applies.

Invoices already issued are not re-sent unless you ask us to.""",
    ),
    (
        "andra-fakturaadress",
        "billing",
        "sv",
        "Ändra fakturaadress",
        """Vill ni få fakturorna till en annan adress (en annan e-postadress, en skanningstjänst
eller en PEPPOL-adress)? Skicka ett ärende med:

- ert organisationsnummer,
- den nya fakturaadressen,
- från vilket datum den gäller.

Redan skickade fakturor skickas inte om, om ni inte ber om det.""",
    ),
    (
        "payment-terms-and-late-payment",
        "billing",
        "en",
        "Payment terms and late payment",
        """Our standard terms are **30 days net**. Some customers have other terms in their agreement;
the terms of each invoice are printed on it.

If a payment is late we send a friendly reminder after 7 days. After 30 days a reminder fee
and interest according to the Swedish Interest Act (*räntelagen*) may be added, and new
orders may be held until the balance is paid.""",
    ),
    (
        "delivery-times",
        "delivery",
        "en",
        "Delivery times",
        """Goods in stock leave our warehouse **the next working day** when you order before 14:00.

| Destination | Usual delivery time |
|:--|:--|
| Sweden | 1–3 working days |
| Nordic countries | 2–5 working days |
| Rest of the EU | 3–7 working days |

You get an e-mail with a tracking link as soon as the parcel is dispatched. Items made to
order have their delivery date on the order confirmation.""",
    ),
    (
        "leveranstider",
        "delivery",
        "sv",
        "Leveranstider",
        """Varor i lager lämnar vårt lager **nästa arbetsdag** om du beställer före kl. 14.00.

- Sverige: 1–3 arbetsdagar
- Norden: 2–5 arbetsdagar
- Övriga EU: 3–7 arbetsdagar

Du får ett mejl med spårningslänk så snart paketet har skickats.""",
    ),
    (
        "change-or-cancel-an-order",
        "delivery",
        "en",
        "Change or cancel an order",
        """An order can be changed or cancelled free of charge until it is **dispatched**.
Send us a request with the order number as soon as possible; we confirm the change by e-mail.

Once the order has been dispatched, see [Return goods](/portal/help/return-goods/).""",
    ),
    (
        "return-goods",
        "returns",
        "en",
        "Return goods",
        """You may return unused goods within **30 days** of delivery.

1. Send us a request with the order number and what you want to return.
2. We send you a return label by e-mail.
3. Pack the goods in their original packaging and attach the label.

We refund the amount within 14 days of receiving the goods. Goods made to order cannot be returned.""",
    ),
    (
        "returnera-varor",
        "returns",
        "sv",
        "Returnera varor",
        """Du kan returnera oanvända varor inom **30 dagar** från leverans.

1. Skicka ett ärende med ordernummer och vad du vill returnera.
2. Vi mejlar en returetikett.
3. Packa varorna i originalförpackningen och fäst etiketten.

Vi återbetalar beloppet inom 14 dagar från att vi tagit emot varorna.""",
    ),
    (
        "damaged-or-wrong-delivery",
        "returns",
        "en",
        "A delivery arrived damaged or wrong",
        """We are sorry! Please send us a request **within 8 days** with:

- the order number,
- photos of the damage or of what you received,
- a photo of the parcel's label.

We send a replacement or credit the invoice, whichever you prefer; you do not need to
return damaged goods unless we ask you to.""",
    ),
    (
        "get-an-api-token",
        "api",
        "en",
        "Get an API token",
        """Programs sign in to the Kontor API with a token.

```http
POST /api/v1/auth/token/
Content-Type: application/json

{"email": "you@example.com", "password": "…"}
```

Send the token in every request as `Authorization: Token <token>`. Read the full API
documentation at `/api/docs/`. Keep the token secret: anyone who has it acts as you.""",
    ),
]


def seed(admin) -> str:
    """Categories and articles that are not there yet (by slug), all published; safe to run again."""
    author = get_user_model().objects.filter(email="support@kontor.example").first() or admin
    categories = {}
    for position, (slug, name, description, icon) in enumerate(CATEGORIES, start=1):
        category = ArticleCategory.objects.filter(slug=slug).first()
        if category is None:
            category = services.category_create(
                actor=admin, name=name, slug=slug, description=description, icon=icon, position=position * 10
            )
        categories[slug] = category
    existing = set(Article.objects.filter(slug__in=[row[0] for row in ARTICLES]).values_list("slug", flat=True))
    created = 0
    for slug, category, language, title, body in ARTICLES:
        if slug in existing:
            continue
        article = services.article_create(
            actor=author, title=title, slug=slug, category=categories[category], language=language, body=body
        )
        services.article_publish(actor=author, article=article)
        created += 1
    if not created:
        return "help articles already there"
    return f"{created} help articles in {len(categories)} categories"
