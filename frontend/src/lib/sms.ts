/**
 * How an SMS is billed: GSM-7 when every character is in the GSM 03.38 alphabet (160
 * characters in one message, 153 a part when split; ^ { } \ [ ] ~ | € take two), else
 * UCS-2 (70, then 67 a part; characters outside the BMP, such as most emoji, take two).
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface SmsCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** Length as billed: GSM-7 septets, or UCS-2 code units. */
  units: number;
  segments: number;
  /** Characters that fit the last segment before another is needed. */
  remaining: number;
  /** The limit per message at this length (160/153 or 70/67). */
  perSegment: number;
}

export function smsCount(text: string): SmsCount {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (basic.has(ch)) septets += 1;
    else if (extended.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  const [units, single, multi] = gsm ? [septets, 160, 153] : [text.length, 70, 67];
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
  const perSegment = segments > 1 ? multi : single;
  const capacity = segments <= 1 ? single : segments * multi;
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', units, segments, remaining: capacity - units, perSegment };
}
