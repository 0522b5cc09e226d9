"""Synthetic applicants: Vietnamese names (Kinh, Tày and Nùng family names common in Lạng Sơn),
12-digit citizen ID numbers, phone numbers and addresses in Lạng Sơn. All invented."""

from __future__ import annotations

FAMILY = (
    ["Nguyễn"] * 8
    + ["Hoàng"] * 5
    + ["Lương"] * 3
    + ["Vi"] * 3
    + ["Nông"] * 3
    + ["Lý"] * 2
    + ["Hà"] * 2
    + ["Triệu"] * 2
    + [
        "Lành",
        "Lộc",
        "Mã",
        "Chu",
        "Đinh",
        "Trần",
        "Lê",
        "Phạm",
        "Vũ",
        "Đỗ",
        "Bế",
        "Hứa",
        "Dương",
        "Đàm",
        "Ninh",
        "Hoàng",
        "Tô",
        "Lăng",
    ]
)
MIDDLE_M = ["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Xuân", "Hữu", "Thanh", "Công", "Tiến"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Thu", "Thanh", "Ngọc", "Minh", "Kim", "Hồng", "Phương"]
GIVEN_M = [
    "Hùng",
    "Dũng",
    "Tuấn",
    "Hải",
    "Long",
    "Nam",
    "Sơn",
    "Thắng",
    "Cường",
    "Bình",
    "Hưng",
    "Quân",
    "Trung",
    "Khánh",
    "Tài",
    "Vượng",
    "Lâm",
    "Phúc",
    "Toàn",
    "Hiếu",
    "Đạt",
    "Kiên",
    "Thành",
    "Hoàn",
    "Chiến",
    "Luân",
    "Pao",
    "Sáng",
]
GIVEN_F = [
    "Hoa",
    "Lan",
    "Hương",
    "Mai",
    "Hạnh",
    "Thủy",
    "Hằng",
    "Nga",
    "Yến",
    "Linh",
    "Trang",
    "Thảo",
    "Huyền",
    "Dung",
    "Nhung",
    "Vân",
    "Loan",
    "Duyên",
    "Phượng",
    "Thơm",
    "Liên",
]

# District -> communes or wards (real names in Lạng Sơn province, 2019).
PLACES = {
    "thành phố Lạng Sơn": [
        "phường Hoàng Văn Thụ",
        "phường Chi Lăng",
        "phường Vĩnh Trại",
        "phường Đông Kinh",
        "phường Tam Thanh",
        "xã Mai Pha",
        "xã Hoàng Đồng",
        "xã Quảng Lạc",
    ],
    "huyện Cao Lộc": [
        "thị trấn Cao Lộc",
        "thị trấn Đồng Đăng",
        "xã Tân Thành",
        "xã Hợp Thành",
        "xã Gia Cát",
        "xã Yên Trạch",
    ],
    "huyện Văn Lãng": ["thị trấn Na Sầm", "xã Tân Thanh", "xã Hoàng Việt", "xã Thanh Long"],
    "huyện Chi Lăng": ["thị trấn Đồng Mỏ", "thị trấn Chi Lăng", "xã Quang Lang", "xã Mai Sao"],
    "huyện Hữu Lũng": ["thị trấn Hữu Lũng", "xã Vân Nham", "xã Sơn Hà", "xã Đồng Tân"],
    "huyện Lộc Bình": ["thị trấn Lộc Bình", "thị trấn Na Dương", "xã Khuất Xá", "xã Tú Đoạn"],
    "huyện Tràng Định": ["thị trấn Thất Khê", "xã Chi Lăng", "xã Đề Thám", "xã Kháng Chiến"],
    "huyện Bình Gia": ["thị trấn Bình Gia", "xã Hồng Phong", "xã Tô Hiệu", "xã Hoa Thám"],
    "huyện Văn Quan": ["thị trấn Văn Quan", "xã Tràng Các", "xã Vân Mộng", "xã Đại An"],
    "huyện Bắc Sơn": ["thị trấn Bắc Sơn", "xã Bắc Sơn", "xã Hưng Vũ", "xã Vũ Lăng"],
    "huyện Đình Lập": ["thị trấn Đình Lập", "thị trấn Nông trường Thái Bình", "xã Bắc Lãng"],
}
DISTRICT_WEIGHTS = {
    "thành phố Lạng Sơn": 30,
    "huyện Cao Lộc": 12,
    "huyện Văn Lãng": 6,
    "huyện Chi Lăng": 8,
    "huyện Hữu Lũng": 10,
    "huyện Lộc Bình": 7,
    "huyện Tràng Định": 6,
    "huyện Bình Gia": 5,
    "huyện Văn Quan": 5,
    "huyện Bắc Sơn": 5,
    "huyện Đình Lập": 4,
}
MOBILE_PREFIXES = ["91", "94", "97", "98", "96", "88", "83", "85", "34", "35", "36", "39", "98"]
STREETS = [
    "Bà Triệu",
    "Trần Đăng Ninh",
    "Lê Lợi",
    "Hùng Vương",
    "Tam Thanh",
    "Lý Thái Tổ",
    "Phai Vệ",
    "Ngô Quyền",
    "Bắc Sơn",
    "Văn Vỉ",
    "Tông Đản",
    "Lê Đại Hành",
    "Trần Phú",
    "Hoàng Văn Thụ",
    "Chu Văn An",
    "Đinh Tiên Hoàng",
]
VILLAGES = [
    "thôn Pò Mã",
    "thôn Nà Lầu",
    "thôn Bản Làn",
    "thôn Khòn Khuyến",
    "thôn Nà Pàn",
    "thôn Phai Sen",
    "thôn Còn Quyển",
    "khối 1",
    "khối 2",
    "khối 5",
    "thôn Đồng Bục",
    "thôn Nà Chuông",
    "thôn Pá Phiêng",
]
COMPANY_KINDS = [
    "Công ty TNHH",
    "Công ty TNHH",
    "Công ty cổ phần",
    "Công ty TNHH MTV",
    "Doanh nghiệp tư nhân",
    "Hợp tác xã",
]
COMPANY_WORDS = [
    "Thương mại",
    "Xuất nhập khẩu",
    "Xây dựng",
    "Vận tải",
    "Dịch vụ",
    "Nông sản",
    "Đầu tư",
    "Du lịch",
    "Logistics",
    "Vật liệu xây dựng",
    "Dược phẩm",
    "Lâm sản",
]
COMPANY_NAMES = [
    "Hoàng Long",
    "Tân Thanh",
    "Đồng Đăng",
    "Kỳ Lừa",
    "Mẫu Sơn",
    "Hữu Nghị",
    "Chi Lăng",
    "Phú Lộc",
    "Bảo Anh",
    "Minh Khai",
    "Việt Trung",
    "Thành Đạt",
    "An Phát",
    "Lạng Sơn Xanh",
    "Na Sầm",
    "Cốc Nam",
    "Hồng Phong",
    "Đức Thịnh",
]


class People:
    def __init__(self, rng):
        self.rng = rng
        self.districts = list(DISTRICT_WEIGHTS)
        self.district_weights = [DISTRICT_WEIGHTS[d] for d in self.districts]

    def person(self):
        """(name, id_number, phone, address) of a citizen."""
        r = self.rng
        female = r.random() < 0.48
        family = r.choice(FAMILY)
        middle = r.choice(MIDDLE_F if female else MIDDLE_M)
        given = r.choice(GIVEN_F if female else GIVEN_M)
        year = r.randint(1955, 2001)
        century_sex = (1 if female else 0) + (2 if year >= 2000 else 0)
        # Lạng Sơn's province code is 020; then sex/century, year of birth, six digits.
        id_number = f"020{century_sex}{year % 100:02d}{r.randint(0, 999999):06d}"
        return f"{family} {middle} {given}", id_number, self.phone(), self.address()

    def company(self):
        r = self.rng
        name = f"{r.choice(COMPANY_KINDS)} {r.choice(COMPANY_WORDS)} {r.choice(COMPANY_NAMES)}"
        tax_code = f"49{r.randint(0, 99999999):08d}"  # Lạng Sơn tax codes start with 49
        return name, tax_code, self.phone(landline=r.random() < 0.5), self.address()

    def phone(self, landline=False):
        r = self.rng
        if landline:
            return f"0205{r.randint(3000000, 3899999)}"
        return f"0{r.choice(MOBILE_PREFIXES)}{r.randint(0, 9999999):07d}"

    def address(self):
        r = self.rng
        district = r.choices(self.districts, self.district_weights)[0]
        commune = r.choice(PLACES[district])
        if commune.startswith("phường"):
            head = f"Số {r.randint(1, 250)}, đường {r.choice(STREETS)}"
        else:
            head = r.choice(VILLAGES)
        return f"{head}, {commune}, {district}, tỉnh Lạng Sơn"
